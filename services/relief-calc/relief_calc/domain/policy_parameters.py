"""Parameters of the policy kinds other than relief (settlement, deferral, projects, late fee)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP
from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator

from refdata.enums import Insurance
from relief_calc.domain.policy_types import Frozen, Period, Rate, Text, check_rounding


class PolicyKind(StrEnum):
    RELIEF = "relief"
    SETTLEMENT = "settlement"
    DEFERRAL = "deferral"
    CONSTRUCTION_PROJECT = "construction_project"
    LATE_FEE = "late_fee"


class SettlementParameters(Frozen):
    """税总函〔2020〕33号: periods collected before the relief was known, and how to settle them."""

    reassess_periods: tuple[Period, ...]
    modes: tuple[Literal["ex_officio_refund", "offset"], ...]
    default_mode: Literal["ex_officio_refund", "offset"]
    choice_recorded_per_payer: bool = True


class ReviewStep(Frozen):
    step: Text
    by: tuple[Text, ...]
    opinions_from: tuple[Text, ...] = ()


class DeferralParameters(Frozen):
    """缓缴: who may defer what, for how long, and the review flow (DOMAIN.md §2.4)."""

    insurances: tuple[Insurance, ...]
    max_months: int = Field(ge=1, le=24)
    latest_period: Period | None = None
    application_required: bool = True
    declare_monthly: bool = True
    late_fee_waived: bool = True
    hardship_criteria: tuple[Text, ...] = ()
    county_review: tuple[ReviewStep, ...] = ()
    city_review: tuple[ReviewStep, ...] = ()


class ConstructionProjectParameters(Frozen):
    """工程建设项目按项目参保的工伤保险 (DOMAIN.md §2.5); the relief months come from the relief rules."""

    insurance: Insurance = Insurance.WORK_INJURY
    started_on_or_after: date
    size_from: Literal["general_contractor"] = "general_contractor"
    rounding: str = ROUND_HALF_UP

    _rounding = field_validator("rounding")(check_rounding)


class LateFeeParameters(Frozen):
    """滞纳金 (社会保险法 第八十六条): simple daily rate from the day after the due date."""

    daily_rate: Rate
    cap_at_principal: bool = False
    compounding: Literal["simple"] = "simple"
    waived_during_deferral: bool = True
    rounding: str = ROUND_HALF_UP

    _rounding = field_validator("rounding")(check_rounding)


ParameterModel = SettlementParameters | DeferralParameters | ConstructionProjectParameters | LateFeeParameters
PARAMETER_MODELS: dict[PolicyKind, type[ParameterModel]] = {
    PolicyKind.SETTLEMENT: SettlementParameters,
    PolicyKind.DEFERRAL: DeferralParameters,
    PolicyKind.CONSTRUCTION_PROJECT: ConstructionProjectParameters,
    PolicyKind.LATE_FEE: LateFeeParameters,
}
