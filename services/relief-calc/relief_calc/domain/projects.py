"""工程建设项目按项目参保的工伤保险: relief of a per-project work-injury premium (DOMAIN.md §2.5).

The premium is a lump sum. A project started on or after the policy's start day (2020-02-01)
gets relief following the size of its general contractor (总承包单位), prorated over its planned
construction months. Planned month ``i`` is fee period ``start month + i`` (a project started
2020-02-01 for 12 months runs 2020-02 … 2021-01); each month gets the work-injury relief the relief
rules give the contractor for that fee period (so 49号's extension reaches projects too):

    relief = premium × (exempt months + ½ × halved months) ÷ planned months

computed exactly and rounded once to the fen (half-up by default); payable = premium − relief.
``relief`` is the kind of the relieved months (``exempt``, ``halved``; ``none`` when no month is
relieved; ``mixed`` if a project were to span both kinds, which the 2020 rules never produce).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from refdata.enums import Size
from refdata.money import ROUNDING_MODES
from refdata.periods import FeePeriod
from relief_calc.domain.engine import Payer, decide, size_used
from relief_calc.domain.errors import InvalidRequest
from relief_calc.domain.policies import ConstructionProjectParameters, PolicySet, known_day
from relief_calc.domain.policy_model import Relief

__all__ = ["MAX_PLANNED_MONTHS", "ProjectRelief", "project_relief", "prorated_relief_fen"]

MAX_PLANNED_MONTHS = 600  # 50 years: far beyond any construction schedule


@dataclass(frozen=True)
class ProjectRelief:
    relief: str
    months_in_window: int
    months_exempt: int
    months_halved: int
    premium_fen: int
    relief_fen: int
    payable_fen: int
    provisional: bool
    trace: tuple[dict[str, Any], ...] = ()

    def to_json(self, *, trace: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "relief": self.relief,
            "months_in_window": self.months_in_window,
            "relief_fen": self.relief_fen,
            "payable_fen": self.payable_fen,
            "status": "provisional" if self.provisional else "final",
        }
        if trace:
            data["trace"] = list(self.trace)
        return data


def prorated_relief_fen(
    premium_fen: int, planned_months: int, months_exempt: int, months_halved: int, rounding: str = ROUND_HALF_UP
) -> int:
    """``premium × (exempt + halved / 2) / planned``, rounded once: ``(1_200_000, 12, 0, 5) → 250_000``."""
    for name, value in (("premium_fen", premium_fen), ("planned_months", planned_months)):
        if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "premium_fen" else 1):
            raise InvalidRequest(
                f"{name}无效：{value!r}",
                f"{name} must be a {'non-negative' if name == 'premium_fen' else 'positive'} integer, got {value!r}",
                field=name,
            )
    if months_exempt < 0 or months_halved < 0 or months_exempt + months_halved > planned_months:
        raise InvalidRequest(
            "减免月数超出计划工期",
            f"relieved months ({months_exempt} + {months_halved}) exceed the planned {planned_months}",
            field="planned_months",
        )
    if rounding not in ROUNDING_MODES:
        raise InvalidRequest(f"舍入方式“{rounding}”不存在", f"unknown rounding mode {rounding!r}", field="rounding")
    share = (Decimal(2 * months_exempt + months_halved) * premium_fen) / (2 * planned_months)
    return int(share.quantize(Decimal(1), rounding=rounding))


def project_relief(
    contractor: Payer,
    contractor_size: Size | str | None,
    *,
    started: date,
    planned_months: int,
    premium_fen: int,
    policies: PolicySet,
    as_known_at: date | datetime | None = None,
) -> ProjectRelief:
    """The relief of one per-project premium; ``contractor`` is the general contractor."""
    prorated_relief_fen(premium_fen, planned_months, 0, 0)  # validates premium and months
    if planned_months > MAX_PLANNED_MONTHS:
        raise InvalidRequest(
            f"计划工期不得超过{MAX_PLANNED_MONTHS}个月",
            f"planned_months must be at most {MAX_PLANNED_MONTHS}",
            field="planned_months",
        )
    if isinstance(started, datetime) or not isinstance(started, date):
        raise InvalidRequest("开工日期必须是日期", f"started must be a date, got {started!r}", field="started")
    try:
        size = None if contractor_size is None else Size(contractor_size)
    except ValueError:
        raise InvalidRequest(
            f"企业规模“{contractor_size}”无效", f"size {contractor_size!r} is not a size", field="size"
        ) from None
    used, provisional = size_used(contractor.unit_type, size)
    resolved = policies.parameters(ConstructionProjectParameters, contractor.region, None, as_known_at)
    trace: list[dict[str, Any]] = [
        {
            "step": "size",
            "unit_type": str(contractor.unit_type),
            "size": None if size is None else str(size),
            "size_used": None if used is None else str(used),
            "provisional": provisional,
            "size_of": "general_contractor",
        },
    ]
    if resolved is None:
        trace.append({"step": "note", "note": "no construction-project policy known", "as_known_at": _iso(as_known_at)})
        return _none(premium_fen, planned_months, provisional, trace)
    params = resolved.values
    trace.append(
        {
            "step": "policy",
            "policy": resolved.policy.id,
            "document": resolved.policy.document_number,
            "started_on_or_after": params.started_on_or_after.isoformat(),
            "started": started.isoformat(),
            "amended_by": [a.policy.id for a in resolved.amendments],
        }
    )
    if started < params.started_on_or_after:
        trace.append({"step": "note", "note": f"started before {params.started_on_or_after.isoformat()}: no relief"})
        return _none(premium_fen, planned_months, provisional, trace)
    first = FeePeriod.from_date(started)
    exempt = halved = 0
    for i in range(planned_months):
        period = first.shift(i)
        decision = decide(
            policies.in_force(period, contractor.region, as_known_at).rules, contractor.unit_type, used, params.insurance
        )
        if decision.rule is not None:
            exempt += decision.relief is Relief.EXEMPT
            halved += decision.relief is Relief.HALVED
            trace.append({"step": "month", "fee_period": str(period), "relief": str(decision.relief)} | decision.rule.trace())
    relief_fen = prorated_relief_fen(premium_fen, planned_months, exempt, halved, params.rounding)
    kind = "mixed" if exempt and halved else "exempt" if exempt else "halved" if halved else "none"
    trace.append(
        {
            "step": "amounts",
            "planned_months": planned_months,
            "months_exempt": exempt,
            "months_halved": halved,
            "premium_fen": premium_fen,
            "relief_fen": relief_fen,
            "payable_fen": premium_fen - relief_fen,
            "rounding": params.rounding,
        }
    )
    return ProjectRelief(
        kind, exempt + halved, exempt, halved, premium_fen, relief_fen, premium_fen - relief_fen, provisional, tuple(trace)
    )


def _none(premium_fen: int, planned_months: int, provisional: bool, trace: list[dict[str, Any]]) -> ProjectRelief:
    return ProjectRelief("none", 0, 0, 0, premium_fen, 0, premium_fen, provisional, tuple(trace))


def _iso(as_known_at: date | datetime | None) -> str | None:
    day = known_day(as_known_at)
    return None if day is None else day.isoformat()
