"""缓缴 Deferral rules from policy data: the limits an application (and an approval) must keep, the
review flow's shape, and the policies it rests on. Pure: the policy set is handed in."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from refdata.errors import InvalidFeePeriod
from refdata.periods import FeePeriod, months_between
from relief_calc.domain.deferral_events import DeferralPolicyRef, FlowStep
from relief_calc.domain.deferral_state import DECIDING, DEPARTMENT_ROLES, FIRST_REVIEW, OPINIONS, FlowDataError, Issue
from relief_calc.domain.policies import DeferralParameters, PolicySet, ResolvedParameters


def terms(
    policies: PolicySet, region: str, period: FeePeriod, as_known_at: datetime
) -> ResolvedParameters[DeferralParameters] | None:
    return policies.parameters(DeferralParameters, region, period, as_known_at)


def policy_refs(resolved: ResolvedParameters[DeferralParameters]) -> tuple[DeferralPolicyRef, ...]:
    return tuple(
        DeferralPolicyRef(
            id=p.id, document_number=p.document_number, published=p.published.isoformat(), content_hash=p.content_hash()
        )
        for p in resolved.policies
    )


def check_flow(steps: Iterable[FlowStep], level: str) -> tuple[FlowStep, ...]:
    flow = tuple(steps)
    problems = [f"unknown department {d!r}" for s in flow for d in (*s.by, *s.opinions_from) if d not in DEPARTMENT_ROLES]
    problems += [f"unknown step {s.step!r}" for s in flow if s.step not in (OPINIONS, FIRST_REVIEW, *DECIDING)]
    if not flow or flow[-1].step not in DECIDING or any(s.step in DECIDING for s in flow[:-1]):
        problems.append("the flow must end with its only decision or joint_review step")
    if problems:
        raise FlowDataError(
            "deferral.flow_invalid",
            f"缓缴政策的{level}审核流程无法执行",
            f"the {level} review flow of the deferral policy: {'; '.join(problems)}",
        )
    return flow


def limits(
    resolved: ResolvedParameters[DeferralParameters] | None,
    first: FeePeriod,
    last: FeePeriod,
    insurances: tuple[str, ...],
    region: str,
    prefix: str = "",
) -> list[Issue]:
    if resolved is None:
        return [
            Issue(
                f"{prefix}first_period",
                "deferral.no_policy",
                f"{region}没有适用于费款所属期{first}的缓缴政策",
                f"no deferral policy covers fee period {first} in region {region}",
            )
        ]
    p, issues = resolved.values, []
    months = months_between(first, last) + 1
    if last < first:
        issues.append(
            Issue(
                f"{prefix}last_period",
                "deferral.period_order",
                "缓缴止期早于起期",
                f"last period {last} is before first period {first}",
            )
        )
    elif months > p.max_months:
        issues.append(
            Issue(
                f"{prefix}last_period",
                "deferral.too_long",
                f"缓缴期限不得超过{p.max_months}个月（申请{months}个月）",
                f"a deferral may run at most {p.max_months} months, {first}..{last} is {months}",
            )
        )
    if p.latest_period is not None and last > p.latest_period:
        issues.append(
            Issue(
                f"{prefix}last_period",
                "deferral.too_late",
                f"缓缴不得超过费款所属期{p.latest_period}",
                f"a deferral may not run past fee period {p.latest_period}, got {last}",
            )
        )
    allowed = [str(i) for i in p.insurances]
    if not insurances:
        issues.append(Issue(f"{prefix}insurances", "deferral.no_insurance", "至少选择一个险种", "name at least one insurance"))
    for n, insurance in enumerate(insurances):
        if insurance not in allowed:
            issues.append(
                Issue(
                    f"{prefix}insurances.{n}",
                    "deferral.insurance",
                    f"险种{insurance}不可缓缴（可缓缴：{'、'.join(allowed)}）",
                    f"{insurance} cannot be deferred (only {', '.join(allowed)})",
                )
            )
        elif insurance in insurances[:n]:
            issues.append(
                Issue(f"{prefix}insurances.{n}", "deferral.duplicate", f"险种{insurance}重复", f"{insurance} is listed twice")
            )
    return issues


def parse_period(text: str, field: str, issues: list[Issue]) -> FeePeriod | None:
    try:
        return FeePeriod.parse(text)
    except InvalidFeePeriod as exc:
        issues.append(Issue(field, "deferral.period", exc.zh, exc.en))
        return None


def criterion(claimed: str, criteria: tuple[str, ...]) -> str | None:
    """The policy's criterion the payer names: its full text or its Chinese label (before " (")."""
    text = claimed.strip()
    return next((c for c in criteria if text in (c, c.split(" (")[0].strip())), None)
