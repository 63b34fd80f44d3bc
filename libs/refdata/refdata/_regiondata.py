"""Parsing and checking the region data files (national → province → region layers).

Kept apart from :mod:`refdata.regions` so that the public module reads as the API only. Every
problem in a data file raises :class:`RegionDataError` naming the file and the entry: the shipped
data is checked when the catalog loads, so a bad edit fails the first test that touches it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any, Generic, TypeVar

from refdata.enums import Insurance
from refdata.errors import RefdataError, RegionDataError
from refdata.money import ROUNDING_MODES, parse_rate
from refdata.periods import FeePeriod

T = TypeVar("T")

FLOOR_SHARE = Decimal("0.6")  # 国办发〔2019〕13号: floor 60 % of the average wage
CEILING_MULTIPLE = 3  # ceiling 300 %
RISK_CLASSES = range(1, 9)
RATE_INSURANCES = (Insurance.PENSION, Insurance.UNEMPLOYMENT, Insurance.MEDICAL, Insurance.MATERNITY)
_LAYER_KEYS = {"due_day", "rounding", "maternity_merged_from", "work_injury", "base_bands", "rates"}


@dataclass(frozen=True, slots=True)
class InsuranceRates:
    """Rates of one insurance: employer part (单位), individual part (个人), and the employer rate
    before a phased cut (降费前原费率) where one applied, which a 2020 halving is based on."""

    employer: Decimal
    individual: Decimal
    employer_original: Decimal | None = None

    @property
    def relief_base_rate(self) -> Decimal:
        """The employer rate a relief (halving, exemption) is computed from: the original if cut."""
        return self.employer if self.employer_original is None else self.employer_original


@dataclass(frozen=True, slots=True)
class BaseBand:
    """缴费基数上下限 for one period range, monthly, in fen, with the average wage it came from."""

    average_wage_fen: int
    floor_fen: int
    ceiling_fen: int


@dataclass(frozen=True, slots=True)
class WorkInjuryTable:
    """Base rates of the eight risk classes, and the pre-cut rates if a phased cut applied."""

    class_rates: Mapping[int, Decimal]
    original_class_rates: Mapping[int, Decimal] | None


@dataclass(frozen=True, slots=True)
class Dated(Generic[T]):
    """A value valid for fee periods ``first`` … ``last`` (inclusive; ``last`` None: open)."""

    first: FeePeriod
    last: FeePeriod | None
    value: T
    source: str

    def covers(self, period: FeePeriod) -> bool:
        return period.within(self.first, self.last)


@dataclass(frozen=True, slots=True)
class RegionData:
    """One region with its layers merged."""

    code: str
    name: str
    province_code: str
    province_name: str
    due_day: int
    rounding: str
    maternity_merged_from: FeePeriod | None
    work_injury: tuple[Dated[WorkInjuryTable], ...]
    base_bands: tuple[Dated[BaseBand], ...]
    rates: Mapping[Insurance, tuple[Dated[InsuranceRates], ...]]


def find(entries: tuple[Dated[T], ...], period: FeePeriod) -> Dated[T] | None:
    """The entry covering ``period`` (entries never overlap)."""
    return next((entry for entry in entries if entry.covers(period)), None)


@dataclass(slots=True)
class _Layer:
    """What one file sets; None: not set by this file (``maternity_merged_from`` uses ``sets_merged``)."""

    due_day: int | None = None
    rounding: str | None = None
    sets_merged: bool = False
    maternity_merged_from: FeePeriod | None = None
    work_injury: tuple[Dated[WorkInjuryTable], ...] | None = None
    base_bands: tuple[Dated[BaseBand], ...] | None = None
    rates: dict[Insurance, tuple[Dated[InsuranceRates], ...]] = field(default_factory=dict)


def merge_region(national: object, province: object, region: object, *, names: tuple[str, str, str]) -> RegionData:
    """Parse the three layers and merge them: a later layer replaces a key, ``rates`` per insurance."""
    national_file, province_file, region_file = names
    province_map, region_map = _mapping(province, province_file), _mapping(region, region_file)
    layers = [_layer(national, national_file, set()), _layer(province_map, province_file, {"code", "name"})]
    layers.append(_layer(region_map, region_file, {"code", "name", "province"}))
    code = _text(region_map, "code", region_file)
    province_code = _text(province_map, "code", province_file)
    if len(code) != 6 or not code.isdigit():
        raise RegionDataError(
            f"{region_file}：统筹区代码应为6位数字", f"{region_file}: region code must be 6 digits, got {code!r}"
        )
    if _text(region_map, "province", region_file) != province_code or not code.startswith(province_code):
        raise RegionDataError(
            f"{region_file}：省份代码与统筹区代码不一致", f"{region_file}: province does not match region code {code}"
        )
    merged = _Layer()
    for layer in layers:
        merged.due_day = layer.due_day if layer.due_day is not None else merged.due_day
        merged.rounding = layer.rounding if layer.rounding is not None else merged.rounding
        if layer.sets_merged:
            merged.maternity_merged_from = layer.maternity_merged_from
        merged.work_injury = layer.work_injury if layer.work_injury is not None else merged.work_injury
        merged.base_bands = layer.base_bands if layer.base_bands is not None else merged.base_bands
        merged.rates.update(layer.rates)
    missing = [key for key in ("due_day", "rounding", "work_injury", "base_bands") if getattr(merged, key) is None]
    missing += [f"rates.{insurance}" for insurance in RATE_INSURANCES if insurance not in merged.rates]
    if missing or merged.due_day is None or merged.rounding is None or merged.work_injury is None or merged.base_bands is None:
        raise RegionDataError(f"{region_file}：各层均未给出{missing}", f"{region_file}: no layer defines {missing}")
    return RegionData(
        code=code,
        name=_text(region_map, "name", region_file),
        province_code=province_code,
        province_name=_text(province_map, "name", province_file),
        due_day=merged.due_day,
        rounding=merged.rounding,
        maternity_merged_from=merged.maternity_merged_from,
        work_injury=merged.work_injury,
        base_bands=merged.base_bands,
        rates=dict(merged.rates),
    )


def _layer(raw: object, file: str, identity: set[str]) -> _Layer:
    data = _mapping(raw, file)
    unknown = set(data) - _LAYER_KEYS - identity
    if unknown:
        raise RegionDataError(f"{file}：未知字段{sorted(unknown)}", f"{file}: unknown keys {sorted(unknown)}")
    layer = _Layer()
    if "due_day" in data:
        day = data["due_day"]
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 31:
            raise RegionDataError(f"{file}：due_day应为1至31", f"{file}: due_day must be 1-31, got {day!r}")
        layer.due_day = day
    if "rounding" in data:
        rounding = data["rounding"]
        if not isinstance(rounding, str) or rounding not in ROUNDING_MODES:
            raise RegionDataError(f"{file}：舍入方式不存在", f"{file}: unknown rounding {rounding!r}")
        layer.rounding = rounding
    if "maternity_merged_from" in data:
        value = data["maternity_merged_from"]
        layer.sets_merged = True
        layer.maternity_merged_from = None if value is None else _period(value, file)
    if "work_injury" in data:
        layer.work_injury = _dated_list(
            data["work_injury"], f"{file} work_injury", _work_injury, {"class_rates", "original_class_rates"}
        )
    if "base_bands" in data:
        band_keys = {"average_wage_fen", "floor_fen", "ceiling_fen", "rounded_to"}
        layer.base_bands = _dated_list(data["base_bands"], f"{file} base_bands", _band, band_keys)
    for name, entries in _mapping(data.get("rates", {}), f"{file} rates").items():
        if name not in {str(i) for i in RATE_INSURANCES}:
            raise RegionDataError(
                f"{file}：rates下的险种{name!r}不存在",
                f"{file}: rates: unknown insurance {name!r} (work injury is under work_injury)",
            )
        insurance = Insurance(name)
        layer.rates[insurance] = _dated_list(
            entries, f"{file} rates.{name}", _rates_parser(insurance), {"employer", "individual", "employer_original"}
        )
    return layer


def _dated_list(raw: object, where: str, parse: Callable[[Mapping[str, object], str], T], keys: set[str]) -> tuple[Dated[T], ...]:
    if not isinstance(raw, list) or not raw:
        raise RegionDataError(f"{where}：应为非空列表", f"{where}: must be a non-empty list")
    entries: list[Dated[T]] = []
    for index, item in enumerate(raw):
        at = f"{where}[{index}]"
        entry = _mapping(item, at)
        unknown = set(entry) - keys - {"from", "to", "source"}
        if unknown:
            raise RegionDataError(f"{at}：未知字段{sorted(unknown)}", f"{at}: unknown keys {sorted(unknown)}")
        first = _period(entry.get("from"), at)
        last = None if entry.get("to") is None else _period(entry["to"], at)
        if last is not None and last < first:
            raise RegionDataError(f"{at}：to早于from", f"{at}: 'to' {last} is before 'from' {first}")
        source = entry.get("source")
        if not isinstance(source, str) or not source.strip():
            raise RegionDataError(f"{at}：缺少来源source", f"{at}: every entry must cite its source")
        entries.append(Dated(first, last, parse(entry, at), source))
    entries.sort(key=lambda e: e.first)
    for before, after in pairwise(entries):
        if before.last is None or before.last >= after.first:
            raise RegionDataError(
                f"{where}：{before.first}与{after.first}开始的区间重叠",
                f"{where}: entries from {before.first} and {after.first} overlap",
            )
    return tuple(entries)


def _rates_parser(insurance: Insurance) -> Callable[[Mapping[str, object], str], InsuranceRates]:
    return lambda entry, at: _rates(entry, at, insurance)


def _rates(entry: Mapping[str, object], at: str, insurance: Insurance) -> InsuranceRates:
    employer, individual = _rate(entry, "employer", at), _rate(entry, "individual", at)
    original = _rate(entry, "employer_original", at) if entry.get("employer_original") is not None else None
    if not insurance.has_individual_part and individual != 0:
        raise RegionDataError(f"{at}：{insurance.zh}没有个人缴费部分", f"{at}: {insurance} has no individual part")
    if original is not None and original < employer:
        raise RegionDataError(f"{at}：原费率低于现行费率", f"{at}: employer_original {original} is below employer {employer}")
    return InsuranceRates(employer, individual, original)


def _band(entry: Mapping[str, object], at: str) -> BaseBand:
    amounts: list[int] = []
    for key in ("average_wage_fen", "floor_fen", "ceiling_fen"):
        value = entry.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise RegionDataError(f"{at}：{key}应为正整数（分）", f"{at}: {key} must be a positive integer number of fen")
        amounts.append(value)
    band = BaseBand(*amounts)
    rounded_to = entry.get("rounded_to", "fen")
    if rounded_to not in ("fen", "yuan"):
        raise RegionDataError(f"{at}：rounded_to应为fen或yuan", f"{at}: rounded_to must be fen or yuan")
    unit = 100 if rounded_to == "yuan" else 1
    floor, ceiling = band_limits(band.average_wage_fen, unit)
    if (band.floor_fen, band.ceiling_fen) != (floor, ceiling):
        raise RegionDataError(
            f"{at}：下限应为平均工资的60%（{floor}分）、上限应为300%（{ceiling}分）",
            f"{at}: floor must be 60 % of the average wage ({floor} fen) and ceiling 300 % ({ceiling} fen), "
            f"got {band.floor_fen} and {band.ceiling_fen}",
        )
    return band


def band_limits(average_wage_fen: int, unit_fen: int = 1) -> tuple[int, int]:
    """(floor, ceiling) = 60 % and 300 % of the average wage, rounded half-up to ``unit_fen``."""

    def rounded(amount: Decimal) -> int:
        return int((amount / unit_fen).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * unit_fen

    return rounded(average_wage_fen * FLOOR_SHARE), rounded(Decimal(average_wage_fen * CEILING_MULTIPLE))


def _work_injury(entry: Mapping[str, object], at: str) -> WorkInjuryTable:
    rates = _class_rates(entry.get("class_rates"), f"{at} class_rates")
    original = entry.get("original_class_rates")
    return WorkInjuryTable(rates, None if original is None else _class_rates(original, f"{at} original_class_rates"))


def _class_rates(raw: object, at: str) -> Mapping[int, Decimal]:
    table = _mapping(raw, at)
    if sorted(table) != list(RISK_CLASSES):
        raise RegionDataError(f"{at}：应列出1至8类", f"{at}: must list risk classes 1 to 8 exactly")
    return {int(k): _rate(table, k, at) for k in RISK_CLASSES}


def _rate(entry: Mapping[Any, object], key: object, at: str) -> Decimal:
    value = entry.get(key)
    if not isinstance(value, str):
        raise RegionDataError(
            f'{at}：{key}应写成带引号的小数，如"0.16"', f'{at}: {key} must be a quoted decimal such as "0.16", got {value!r}'
        )
    try:
        return parse_rate(value)
    except RefdataError as error:
        raise RegionDataError(f"{at}：{key}：{error.zh}", f'{at}: {key}: {error.en} (write rates quoted, e.g. "0.16")') from None


def _period(value: object, at: str) -> FeePeriod:
    if not isinstance(value, str):
        raise RegionDataError(f"{at}：费款所属期应为YYYY-MM", f"{at}: fee period must be a YYYY-MM string, got {value!r}")
    try:
        return FeePeriod.parse(value)
    except RefdataError as error:
        raise RegionDataError(f"{at}：{error.zh}", f"{at}: {error.en}") from None


def _mapping(raw: object, at: str) -> dict[Any, object]:
    if not isinstance(raw, dict):
        raise RegionDataError(f"{at}：应为映射", f"{at}: must be a mapping")
    return raw


def _text(data: Mapping[str, object], key: str, at: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise RegionDataError(
            f"{at}：{key}应为非空字符串（代码须加引号）", f"{at}: {key} must be a non-empty string (quote codes)"
        )
    return value
