"""The assessment engine: what a payer owes for one fee period under the policies known at a time.

A pure function of (payer, fee period, declared lines, size in force, policies, as_known_at). Per
insurance it decides the relief (``exempt``, ``halved``, ``none``) from the rules in force and
computes the amounts in fen exactly as DOMAIN.md §4 says:

* employer original = base × declared employer rate, rounded to the fen (half-up by default);
* halved: payable = original × ½, rounded again (88,888.8 → 88,889 → 44,444.5 → 44,445);
* exempt: payable = 0; none: payable = original; relief = original − payable, always;
* the individual part = base × individual rate, rounded; never reduced.

A halving based on the rate before a phased cut (``rate_base: original``, 江苏 苏医保发〔2020〕14号,
昆山: original 8 %, declared 7 %) computes payable = min(½ × (base × original rate, rounded),
employer original at the declared rate); the relief stays original (at the DECLARED rate) − payable,
so it is what the payer saves against what it would owe without relief. 昆山, base 10,000 元:
original 700 元, payable 400 元 (half of 800), relief 300 元. Where the declared rate is already at or
below half the original, payable = original and relief = 0 (the cap; never a negative relief).

Size: an enterprise whose size is unknown (None: not yet classified, or unclassifiable, DOMAIN.md
§5) is assessed as ``large`` and the assessment is ``provisional``: it gets the relief of 大型企业等
其他参保单位 (halved, or exempt in 湖北), never the SME exemption, until a classification arrives.
Size is not used for other unit types. Public institutions and flexible workers never get relief.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from refdata.codes import validate_credit_code
from refdata.enums import Insurance, Size, UnitType
from refdata.money import contribution_fen, halve_fen
from refdata.periods import FeePeriod
from relief_calc.domain.errors import InvalidRequest
from relief_calc.domain.policies import EffectiveRule, PolicySet, known_day
from relief_calc.domain.policy_model import NEVER_RELIEVED, Rate, RateBase, RegionCode, Relief

__all__ = ["Assessment", "Decision", "Line", "LineAssessment", "Payer", "assess", "decide", "employer_amounts", "size_used"]

_RANK = {Relief.EXEMPT: 0, Relief.HALVED: 1}


class Payer(BaseModel):
    """The insured unit (参保单位) as the engine needs it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit_type: UnitType
    region: RegionCode
    credit_code: str | None = None

    @field_validator("credit_code")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        if value is not None:
            validate_credit_code(value)
        return value


class Line(BaseModel):
    """One declared insurance: the monthly base in fen and the rates (decimal strings or Decimals).

    ``employer_original_rate`` is the employer rate before a phased cut, where one applied.
    ``sources`` says where each rate came from (for the trace only).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    insurance: Insurance
    base_fen: Annotated[StrictInt, Field(ge=0)]
    employer_rate: Rate
    individual_rate: Rate
    employer_original_rate: Rate | None = None
    sources: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Line:
        if not self.insurance.has_individual_part and self.individual_rate != 0:
            raise ValueError(f"{self.insurance} has no individual part, but individual_rate is {self.individual_rate}")
        if self.employer_original_rate is not None and self.employer_original_rate < self.employer_rate:
            raise ValueError(
                f"employer_original_rate {self.employer_original_rate} (before a cut) is below the declared rate {self.employer_rate}"
            )
        return self


@dataclass(frozen=True)
class Decision:
    """The relief for one insurance: the rule that grants it (if any) and every rule that matched."""

    relief: Relief
    rule: EffectiveRule | None
    matching: tuple[EffectiveRule, ...]


@dataclass(frozen=True)
class LineAssessment:
    insurance: Insurance
    relief: Relief
    employer_original_fen: int
    employer_relief_fen: int
    employer_payable_fen: int
    individual_fen: int
    trace: tuple[dict[str, Any], ...] = ()

    def to_json(self, *, trace: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "insurance": str(self.insurance),
            "relief": str(self.relief),
            "employer_original_fen": self.employer_original_fen,
            "employer_relief_fen": self.employer_relief_fen,
            "employer_payable_fen": self.employer_payable_fen,
            "individual_fen": self.individual_fen,
        }
        if trace:
            data["trace"] = list(self.trace)
        return data


@dataclass(frozen=True)
class Assessment:
    """The liability of one payer for one fee period, per insurance, with totals."""

    payer: Payer
    fee_period: FeePeriod
    size: Size | None
    size_used: Size | None
    provisional: bool
    as_known_at: date | None
    lines: tuple[LineAssessment, ...]
    policies: tuple[tuple[str, str], ...] = field(default=())  # (policy id, content hash) in force

    @property
    def status(self) -> str:
        return "provisional" if self.provisional else "final"

    @property
    def employer_original_fen(self) -> int:
        return sum(line.employer_original_fen for line in self.lines)

    @property
    def employer_payable_fen(self) -> int:
        return sum(line.employer_payable_fen for line in self.lines)

    @property
    def employer_relief_fen(self) -> int:
        return sum(line.employer_relief_fen for line in self.lines)

    @property
    def individual_fen(self) -> int:
        return sum(line.individual_fen for line in self.lines)

    def to_json(self, *, trace: bool = True) -> dict[str, Any]:
        """The preview response shape: fee period, lines, totals (and status)."""
        return {
            "fee_period": str(self.fee_period),
            "status": self.status,
            "lines": [line.to_json(trace=trace) for line in self.lines],
            "employer_payable_fen": self.employer_payable_fen,
            "employer_relief_fen": self.employer_relief_fen,
            "individual_fen": self.individual_fen,
        }


def size_used(unit_type: UnitType, size: Size | None) -> tuple[Size | None, bool]:
    """The size the rules see, and whether the result is provisional (see the module docstring)."""
    if unit_type is not UnitType.ENTERPRISE:
        return None, False
    return (Size.LARGE, True) if size is None else (size, False)


def decide(rules: Iterable[EffectiveRule], unit_type: UnitType, size: Size | None, insurance: Insurance) -> Decision:
    """The most favourable adopted rule that grants relief (exempt before halved; ties: earliest
    published, then ids). Rules granting ``none`` or not adopted are kept for the trace only."""
    matching = tuple(r for r in rules if r.rule.matches(unit_type, size, insurance))
    granting = [r for r in matching if r.rule.adopted and r.rule.relief is not Relief.NONE and unit_type not in NEVER_RELIEVED]
    if not granting:
        return Decision(Relief.NONE, None, matching)
    best = min(granting, key=lambda r: (_RANK[r.rule.relief], r.policy.published, r.policy.id, r.rule.id))
    return Decision(best.rule.relief, best, matching)


def employer_amounts(
    line: Line, relief: Relief, rate_base: RateBase, rounding: str = ROUND_HALF_UP
) -> tuple[int, int, dict[str, Any]]:
    """``(original, payable, detail)`` of the employer part; relief = original − payable."""
    original = contribution_fen(line.base_fen, line.employer_rate, rounding)
    detail: dict[str, Any] = {}
    if relief is Relief.EXEMPT:
        return original, 0, detail
    if relief is Relief.NONE:
        return original, original, detail
    if rate_base is RateBase.ORIGINAL and line.employer_original_rate is not None:
        halved_from = contribution_fen(line.base_fen, line.employer_original_rate, rounding)
        payable = min(halve_fen(halved_from, rounding), original)
        detail = {
            "halved_rate": str(line.employer_original_rate),
            "halved_from_fen": halved_from,
            "rate_base": "original",
            "capped_at_declared": payable == original and halve_fen(halved_from, rounding) > original,
        }
        return original, payable, detail
    detail = {"halved_rate": str(line.employer_rate), "halved_from_fen": original, "rate_base": "declared"}
    if rate_base is RateBase.ORIGINAL:
        detail["note"] = "no rate before a cut declared: the declared rate is halved"
    return original, halve_fen(original, rounding), detail


def assess(
    payer: Payer,
    fee_period: FeePeriod | str,
    lines: Sequence[Line],
    size: Size | str | None,
    policies: PolicySet,
    as_known_at: date | datetime | None = None,
    *,
    rounding: str = ROUND_HALF_UP,
) -> Assessment:
    """Assess one payer-period. ``as_known_at`` None: with every policy in ``policies``."""
    period = FeePeriod.of(fee_period)
    try:
        given = None if size is None else Size(size)
    except ValueError:
        raise InvalidRequest(
            f"企业规模“{size}”无效（应为large、medium、small、micro或空）",
            f"size {size!r} is not one of large, medium, small, micro (or None: unknown)",
            field="size",
        ) from None
    used, provisional = size_used(payer.unit_type, given)
    insurances = [line.insurance for line in lines]
    duplicated = sorted({str(i) for i in insurances if insurances.count(i) > 1})
    if duplicated:
        raise InvalidRequest(
            f"同一险种申报了多次：{'、'.join(duplicated)}",
            f"insurance declared more than once: {', '.join(duplicated)}",
            field="lines",
        )
    in_force = policies.in_force(period, payer.region, as_known_at)
    size_step = {
        "step": "size",
        "unit_type": str(payer.unit_type),
        "size": None if given is None else str(given),
        "size_used": None if used is None else str(used),
        "provisional": provisional,
    }
    results = []
    for line in lines:
        decision = decide(in_force.rules, payer.unit_type, used, line.insurance)
        rate_base = decision.rule.rule.rate_base if decision.rule is not None else RateBase.DECLARED
        original, payable, detail = employer_amounts(line, decision.relief, rate_base, rounding)
        individual = contribution_fen(line.base_fen, line.individual_rate, rounding)
        trace = _trace(line, decision, size_step, rounding, original, payable, individual, detail, payer.unit_type)
        results.append(LineAssessment(line.insurance, decision.relief, original, original - payable, payable, individual, trace))
    return Assessment(
        payer=payer,
        fee_period=period,
        size=given,
        size_used=used,
        provisional=provisional,
        as_known_at=known_day(as_known_at),
        lines=tuple(results),
        policies=tuple((p.id, p.content_hash()) for p in in_force.policies),
    )


def _trace(
    line: Line,
    decision: Decision,
    size_step: dict[str, Any],
    rounding: str,
    original: int,
    payable: int,
    individual: int,
    detail: dict[str, Any],
    unit_type: UnitType,
) -> tuple[dict[str, Any], ...]:
    steps: list[dict[str, Any]] = [
        {
            "step": "rates",
            "base_fen": line.base_fen,
            "employer_rate": str(line.employer_rate),
            "individual_rate": str(line.individual_rate),
            "employer_original_rate": None if line.employer_original_rate is None else str(line.employer_original_rate),
            "rounding": rounding,
        }
        | ({"sources": dict(line.sources)} if line.sources else {}),
        size_step,
    ]
    for rule in decision.matching:
        applied = decision.rule is rule
        steps.append({"step": "rule", "applied": applied} | rule.trace())
    if unit_type in NEVER_RELIEVED:
        steps.append(
            {"step": "note", "note": f"{unit_type} never gets 2020 relief (人社部发〔2020〕11号 不含机关事业单位; DOMAIN.md §1)"}
        )
    elif decision.rule is None:
        steps.append({"step": "note", "note": "no adopted rule in force grants relief for this insurance, payer and fee period"})
    steps.append(
        {
            "step": "amounts",
            "relief": str(decision.relief),
            "employer_original_fen": original,
            "employer_payable_fen": payable,
            "employer_relief_fen": original - payable,
            "individual_fen": individual,
        }
        | detail
    )
    return tuple(steps)
