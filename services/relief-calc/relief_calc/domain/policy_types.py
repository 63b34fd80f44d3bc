"""Value types shared by the policy model: fee periods, rates, codes, and the frozen base model."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator

from refdata.enums import UnitType
from refdata.money import ROUNDING_MODES, parse_rate
from refdata.periods import FeePeriod

# 人社部发〔2020〕11号 excludes 机关事业单位; flexible workers are outside all 2020 relief (DOMAIN.md §1).
NEVER_RELIEVED = frozenset({UnitType.PUBLIC_INSTITUTION, UnitType.FLEXIBLE_WORKER})


def _period(value: object) -> FeePeriod:
    if isinstance(value, FeePeriod):
        return value
    if isinstance(value, str):
        return FeePeriod.parse(value)
    raise ValueError(f"a fee period must be written YYYY-MM (e.g. 2020-02), got {value!r}")


def _rate(value: object) -> Decimal:
    if isinstance(value, Decimal) and value.is_finite() and 0 <= value <= 1:
        return value
    if isinstance(value, str):
        return parse_rate(value)
    raise ValueError(f'a rate must be a quoted decimal between 0 and 1 such as "0.0005", got {value!r}')


def _code(digits: int) -> Any:
    example = '"42"' if digits == 2 else '"320600"'

    def check(value: object) -> str:
        if not isinstance(value, str) or len(value) != digits or not value.isdigit():
            raise ValueError(f"must be a quoted {digits}-digit code such as {example}, got {value!r}")
        return value

    return PlainValidator(check)


def check_rounding(value: str) -> str:
    if value not in ROUNDING_MODES:
        raise ValueError(f"unknown rounding mode {value!r} (one of {sorted(ROUNDING_MODES)})")
    return value


Period = Annotated[FeePeriod, PlainValidator(_period), PlainSerializer(str, return_type=str)]
Rate = Annotated[Decimal, PlainValidator(_rate), PlainSerializer(str, return_type=str)]
ProvinceCode = Annotated[str, _code(2)]
RegionCode = Annotated[str, _code(6)]
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
Text = Annotated[str, Field(min_length=1)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def sorted_unique(value: Any, info: Any) -> Any:
    """Sets written as lists: refuse duplicates, store sorted (so the content hash ignores order)."""
    if value is None:
        return None
    items = tuple(value)
    if len(set(items)) != len(items):
        raise ValueError(f"{info.field_name} lists a value twice: {list(items)}")
    return tuple(sorted(items))
