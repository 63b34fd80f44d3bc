"""Pooling regions (统筹区) and their parameters for each 费款所属期, as dated data.

The numbers live in YAML files shipped with the package, in three layers that a later one
overrides: ``data/national.yaml`` (national defaults), ``data/provinces/<2 digits>.yaml`` (what a
province sets for all its regions: pension, unemployment, the base band, the due day) and
``data/regions/<6 digits>.yaml`` (one file per region: medical and maternity rates, any override).
Every entry cites its source; informed estimates say so. The relief windows (which months are
exempt, halved or deferred) are policy data of the relief engine, not parameters here.

    params = RegionCatalog.default().parameters("320600", "2020-03")
    params.rates[Insurance.MEDICAL].employer            # Decimal('0.07')
    params.work_injury_rate(3, Decimal("1.2"))          # class 3 floated up to 120 %
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import TypeVar

from refdata._regiondata import (
    RATE_INSURANCES,
    BaseBand,
    Dated,
    InsuranceRates,
    RegionData,
    find,
    merge_region,
)
from refdata._resources import data_names, data_text, parse_yaml
from refdata.enums import Insurance
from refdata.errors import InvalidAmount, NoParameters, RegionDataError, UnknownRegion
from refdata.periods import FeePeriod

T = TypeVar("T")

__all__ = [
    "CLASS_1_FLOATING_GRADES",
    "FLOATING_GRADES",
    "BaseBand",
    "InsuranceRates",
    "Region",
    "RegionCatalog",
    "RegionParameters",
]

# 人社部发〔2015〕71号: class 1 may float up to 120 % or 150 %; classes 2–8 also down to 80 % or 50 %.
CLASS_1_FLOATING_GRADES = frozenset({Decimal("1"), Decimal("1.2"), Decimal("1.5")})
FLOATING_GRADES = frozenset({Decimal("0.5"), Decimal("0.8"), Decimal("1"), Decimal("1.2"), Decimal("1.5")})


@dataclass(frozen=True, slots=True)
class Region:
    """A supported 统筹区: 6-digit code, name, and its province (name and 2-digit code)."""

    code: str
    name: str
    province: str
    province_code: str


@dataclass(frozen=True)
class RegionParameters:
    """Everything the services need about one region for one fee period.

    ``rates`` has all five insurances. For ``WORK_INJURY`` the entry holds the class-1 (lowest)
    base rate only, as the floor of the class table: a payer's work-injury rate depends on its risk
    class and floating grade, so use :meth:`work_injury_rate` (or :meth:`employer_rate` with a class).
    """

    region: str
    region_name: str
    province: str
    fee_period: FeePeriod
    rates: Mapping[Insurance, InsuranceRates]
    base_floor_fen: int
    base_ceiling_fen: int
    average_wage_fen: int
    due_day: int
    work_injury_class_rates: Mapping[int, Decimal]
    rounding: str
    source: str
    maternity_merged_into_medical: bool = False
    work_injury_original_class_rates: Mapping[int, Decimal] | None = field(default=None)

    @property
    def province_code(self) -> str:
        return self.region[:2]

    def work_injury_rate(self, risk_class: int, floating_rate: Decimal | None) -> Decimal:
        """The payer's work-injury employer rate: the class's base rate × its floating grade.

        ``floating_rate`` is the grade as a multiplier (``Decimal('1.2')`` = floated up to 120 %),
        one of 人社部发〔2015〕71号's grades (class 1: 1, 1.2, 1.5; classes 2–8: 0.5, 0.8, 1, 1.2,
        1.5); None means the base rate.
        """
        base = self._class_rate(self.work_injury_class_rates, risk_class)
        return base if floating_rate is None else base * self._grade(risk_class, floating_rate)

    def work_injury_original_rate(self, risk_class: int, floating_rate: Decimal | None) -> Decimal:
        """Like :meth:`work_injury_rate`, before any phased cut of the class rates (the relief base)."""
        table = self.work_injury_original_class_rates or self.work_injury_class_rates
        base = self._class_rate(table, risk_class)
        return base if floating_rate is None else base * self._grade(risk_class, floating_rate)

    def employer_rate(
        self, insurance: Insurance, *, risk_class: int | None = None, floating_rate: Decimal | None = None
    ) -> Decimal:
        """The employer rate of ``insurance``; work injury needs the payer's ``risk_class``."""
        if insurance is Insurance.WORK_INJURY:
            if risk_class is None:
                raise InvalidAmount("工伤保险费率需要行业风险类别", "the work-injury rate needs the payer's risk class")
            return self.work_injury_rate(risk_class, floating_rate)
        return self.rates[insurance].employer

    def base_within_band(self, base_fen: int) -> bool:
        """Whether a per-employee monthly base lies within the band (floor and ceiling inclusive)."""
        return self.base_floor_fen <= base_fen <= self.base_ceiling_fen

    @staticmethod
    def _class_rate(table: Mapping[int, Decimal], risk_class: int) -> Decimal:
        if risk_class not in table:
            raise InvalidAmount(f"行业风险类别应为1至8，实际为{risk_class!r}", f"risk class must be 1-8, got {risk_class!r}")
        return table[risk_class]

    @staticmethod
    def _grade(risk_class: int, floating_rate: Decimal) -> Decimal:
        grades = CLASS_1_FLOATING_GRADES if risk_class == 1 else FLOATING_GRADES
        if not isinstance(floating_rate, Decimal) or floating_rate not in grades:
            allowed = sorted(grades)
            raise InvalidAmount(
                f"第{risk_class}类行业的浮动档次应为{'、'.join(map(str, allowed))}之一，实际为{floating_rate}",
                f"floating grade of risk class {risk_class} must be one of {', '.join(map(str, allowed))}, got {floating_rate}",
            )
        return floating_rate


class RegionCatalog:
    """The supported regions and their dated parameters."""

    def __init__(self, regions: Iterable[RegionData]) -> None:
        self._regions: dict[str, RegionData] = {}
        for data in regions:
            if data.code in self._regions:
                raise RegionDataError(f"统筹区{data.code}重复", f"region {data.code} is defined twice")
            self._regions[data.code] = data

    @classmethod
    def default(cls) -> RegionCatalog:
        """The catalog of the shipped data (loaded and checked once, then cached)."""
        return _default_catalog()

    @classmethod
    def from_texts(cls, national: str, provinces: Mapping[str, str], regions: Mapping[str, str]) -> RegionCatalog:
        """A catalog from YAML texts: ``provinces`` by 2-digit code, ``regions`` by file name."""
        national_data = parse_yaml(national)
        loaded = []
        for name, text in sorted(regions.items()):
            region = parse_yaml(text)
            province_code = region.get("province") if isinstance(region, dict) else None
            if not isinstance(province_code, str) or province_code not in provinces:
                raise RegionDataError(
                    f"{name}：省份{province_code!r}没有数据文件", f"{name}: province {province_code!r} has no data file"
                )
            files = ("national.yaml", f"provinces/{province_code}.yaml", name)
            data = merge_region(national_data, parse_yaml(provinces[province_code]), region, names=files)
            if name.rsplit("/", 1)[-1] != f"{data.code}.yaml":
                raise RegionDataError(
                    f"{name}：文件名应为{data.code}.yaml",
                    f"{name}: the file of region {data.code} must be named {data.code}.yaml",
                )
            loaded.append(data)
        return cls(loaded)

    def regions(self) -> list[Region]:
        """Every supported region, by code."""
        return [self._public(data) for _, data in sorted(self._regions.items())]

    def region(self, code: str) -> Region:
        """The region with 6-digit ``code``; :class:`UnknownRegion` if it is not supported."""
        return self._public(self._data(code))

    def parameters(self, code: str, fee_period: FeePeriod | str) -> RegionParameters:
        """The parameters of region ``code`` for ``fee_period``.

        Raises :class:`UnknownRegion` for an unsupported region and :class:`NoParameters` when the
        data does not cover the period for some insurance or for the base band.
        """
        data = self._data(code)
        period = FeePeriod.of(fee_period)
        rates: dict[Insurance, InsuranceRates] = {}
        sources: list[str] = []
        for insurance in RATE_INSURANCES:
            entry = self._covering(data, data.rates[insurance], period, insurance.zh, str(insurance))
            rates[insurance] = entry.value
            sources.append(f"{insurance}: {entry.source}")
        injury = self._covering(data, data.work_injury, period, Insurance.WORK_INJURY.zh, str(Insurance.WORK_INJURY))
        original = injury.value.original_class_rates
        rates[Insurance.WORK_INJURY] = InsuranceRates(
            employer=injury.value.class_rates[1],
            individual=Decimal(0),
            employer_original=None if original is None else original[1],
        )
        sources.append(f"work_injury: {injury.source}")
        band = self._covering(data, data.base_bands, period, "缴费基数上下限", "contribution base band")
        sources.append(f"base band: {band.source}")
        return RegionParameters(
            region=data.code,
            region_name=data.name,
            province=data.province_name,
            fee_period=period,
            rates=MappingProxyType({insurance: rates[insurance] for insurance in Insurance}),
            base_floor_fen=band.value.floor_fen,
            base_ceiling_fen=band.value.ceiling_fen,
            average_wage_fen=band.value.average_wage_fen,
            due_day=data.due_day,
            work_injury_class_rates=MappingProxyType(dict(injury.value.class_rates)),
            rounding=data.rounding,
            source=" | ".join(sources),
            maternity_merged_into_medical=data.maternity_merged_from is not None and period >= data.maternity_merged_from,
            work_injury_original_class_rates=None if original is None else MappingProxyType(dict(original)),
        )

    def _data(self, code: str) -> RegionData:
        data = self._regions.get(code) if isinstance(code, str) else None
        if data is None:
            supported = ", ".join(sorted(self._regions))
            raise UnknownRegion(
                f"统筹区“{code}”不在本平台支持范围内（支持：{supported}）",
                f"pooling region {code!r} is not supported (supported: {supported})",
            )
        return data

    @staticmethod
    def _covering(data: RegionData, entries: tuple[Dated[T], ...], period: FeePeriod, what_zh: str, what_en: str) -> Dated[T]:
        entry = find(entries, period)
        if entry is None:
            first, last = entries[0].first, entries[-1].last
            span = f"{first}至{last or '今'}"
            raise NoParameters(
                f"统筹区{data.code}（{data.name}）没有费款所属期{period}的{what_zh}参数（已有：{span}）",
                f"region {data.code} ({data.name}) has no {what_en} parameters for fee period {period} "
                f"(covered: {first} to {last or 'open'})",
            )
        return entry

    @staticmethod
    def _public(data: RegionData) -> Region:
        return Region(code=data.code, name=data.name, province=data.province_name, province_code=data.province_code)


@functools.cache
def _default_catalog() -> RegionCatalog:
    provinces = {name.removesuffix(".yaml"): data_text("provinces", name) for name in data_names("provinces")}
    regions = {f"regions/{name}": data_text("regions", name) for name in data_names("regions")}
    return RegionCatalog.from_texts(data_text("national.yaml"), provinces, regions)
