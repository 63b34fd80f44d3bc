"""缓缴 Deferral decisions: a command and the application's state in, events out (DOMAIN.md §2.4).

What may be deferred, for how long and how it is reviewed is policy data (``DeferralParameters`` of
the deferral policies in force for the payer's region and first fee period, see deferral_rules).
The flow is fixed on the application when it is made; the limits (months, latest period,
insurances) are checked again, as then known, when it is approved. Pure: no I/O, no clock.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Callable
from datetime import date, datetime

from eventkit.events import Event
from refdata.periods import FeePeriod, months_between
from relief_calc.domain.deferral_events import (
    DeferralApplied,
    DeferralApproved,
    DeferralFirstReviewed,
    DeferralOpinionRecorded,
    DeferralRejected,
    DeferralWithdrawn,
    FlowStep,
)
from relief_calc.domain.deferral_rules import check_flow, criterion, limits, parse_period, policy_refs, terms
from relief_calc.domain.deferral_state import (
    DECIDING,
    DECISION,
    DEPARTMENT_ROLES,
    FIRST_REVIEW,
    LEVELS,
    STATUS_ZH,
    Actor,
    ApplicationInput,
    DeferralConflict,
    DeferralNotFound,
    DeferralState,
    InvalidDeferral,
    Issue,
    NotAllowed,
    opinion_departments,
)
from relief_calc.domain.policies import PolicySet


def apply(
    state: DeferralState, application_id: str, inp: ApplicationInput, actor: Actor, policies: PolicySet, now: datetime
) -> list[Event]:
    """申请缓缴: checked against the deferral policy in force for the region and first period, as known now."""
    if actor.payer != inp.credit_code:
        raise NotAllowed(
            "deferral.not_own", "只能为本单位申请缓缴", "a payer may only apply for its own deferral", field="credit_code"
        )
    if state.applied is not None:
        raise DeferralConflict(
            "deferral.exists", f"缓缴申请{application_id}已存在", f"deferral application {application_id} exists"
        )
    issues: list[Issue] = []
    first, last = parse_period(inp.first_period, "first_period", issues), parse_period(inp.last_period, "last_period", issues)
    if inp.review_level not in LEVELS:
        issues.append(
            Issue(
                "review_level",
                "deferral.level",
                "审核层级应为county或city",
                f"review_level must be county or city, got {inp.review_level!r}",
            )
        )
    if not inp.reason.strip():
        issues.append(Issue("reason", "deferral.reason", "请说明申请缓缴的原因", "give the reason for the deferral"))
    if not inp.evidence:
        issues.append(Issue("evidence", "deferral.evidence", "请提供至少一份证明材料", "attach at least one piece of evidence"))
    if first is None or last is None:
        raise InvalidDeferral(issues)
    resolved = terms(policies, inp.region, first, now)
    issues += limits(resolved, first, last, inp.insurances, inp.region)
    if resolved is not None and terms(policies, inp.region, last, now) is None:
        issues.append(
            Issue(
                "last_period",
                "deferral.no_policy",
                f"没有适用于费款所属期{last}的缓缴政策",
                f"no deferral policy covers fee period {last}",
            )
        )
    hardship: list[str] = []
    criteria = resolved.values.hardship_criteria if resolved is not None else ()
    for n, claimed in enumerate(inp.hardship if resolved is not None else ()):
        match = criterion(claimed, criteria)
        if match is None:
            issues.append(
                Issue(
                    f"hardship.{n}",
                    "deferral.hardship",
                    f"“{claimed}”不是政策规定的困难情形",
                    f"{claimed!r} is not one of the policy's hardship criteria: {', '.join(criteria)}",
                )
            )
        elif match not in hardship:
            hardship.append(match)
    if criteria and not inp.hardship:
        issues.append(
            Issue(
                "hardship",
                "deferral.hardship_missing",
                "请至少选择一种困难情形",
                f"claim at least one hardship criterion: {', '.join(criteria)}",
            )
        )
    if issues or resolved is None:
        raise InvalidDeferral(issues)
    steps = resolved.values.county_review if inp.review_level == "county" else resolved.values.city_review
    flow = check_flow((FlowStep(step=s.step, by=s.by, opinions_from=s.opinions_from) for s in steps), inp.review_level)
    return [
        DeferralApplied(
            application_id=application_id,
            credit_code=inp.credit_code,
            region=inp.region,
            review_level=inp.review_level,
            first_period=str(first),
            last_period=str(last),
            months=months_between(first, last) + 1,
            insurances=tuple(inp.insurances),
            reason=inp.reason.strip(),
            hardship=tuple(hardship),
            evidence=inp.evidence,
            flow=flow,
            policies=policy_refs(resolved),
            applied_by=actor.sub,
            at=now,
        )
    ]


def _under_review(state: DeferralState) -> tuple[DeferralApplied, FlowStep]:
    if state.applied is None:
        raise DeferralNotFound("deferral.not_found", "缓缴申请不存在", "no such deferral application")
    step = state.step
    if step is None:
        raise DeferralConflict(
            "deferral.closed",
            f"缓缴申请已{STATUS_ZH[state.status]}，不能再审核",
            f"the application is {state.status}; nothing more can be done",
        )
    return state.applied, step


def _written(opinion: str, stance: str | None = None) -> str:
    """A written opinion (书面意见) is required at every step; a stance is support or oppose."""
    issues = []
    if len(opinion.strip()) < 2:
        issues.append(
            Issue("opinion", "deferral.opinion", "请填写书面意见", "write the department's opinion (at least 2 characters)")
        )
    if stance is not None and stance not in ("support", "oppose"):
        issues.append(
            Issue("stance", "deferral.stance", "意见应为support或oppose", f"stance must be support or oppose, got {stance!r}")
        )
    if issues:
        raise InvalidDeferral(issues)
    return opinion.strip()


def _department(actor: Actor, eligible: tuple[str, ...], asked: str | None, act_zh: str, act_en: str) -> str:
    """The department the actor acts for: the one asked for, or its only eligible one."""
    mine = [d for d in eligible if DEPARTMENT_ROLES[d] in actor.roles]
    wanted = ", ".join(f"{d} ({DEPARTMENT_ROLES[d]})" for d in eligible) or "none"
    if asked is not None:
        if asked not in eligible:
            raise DeferralConflict(
                "deferral.not_this_step",
                f"当前步骤不需要{asked}的{act_zh}",
                f"this step needs no {act_en} from {asked}; it waits for: {wanted}",
                field="department",
            )
        mine = [asked] if asked in mine else []
    if not mine:
        raise NotAllowed(
            "deferral.wrong_role",
            f"当前步骤的{act_zh}应由以下部门作出：{wanted}",
            f"the {act_en} at this step is for: {wanted}",
            field="department",
        )
    if len(mine) > 1:
        raise InvalidDeferral(
            [
                Issue(
                    "department",
                    "deferral.department",
                    "请指明代表哪个部门",
                    f"name the department you act for: one of {', '.join(mine)}",
                )
            ]
        )
    return mine[0]


def record_opinion(
    state: DeferralState, actor: Actor, stance: str, opinion: str, department: str | None, now: datetime
) -> list[Event]:
    """A department's written opinion (书面意见): once per department and application."""
    applied, step = _under_review(state)
    opinion = _written(opinion, stance)
    pending = tuple(d for d, act in state.awaiting() if act == "opinion")
    if not pending:
        raise DeferralConflict(
            "deferral.no_opinion_due", f"当前步骤（{step.step}）不收集意见", f"the current step ({step.step}) takes no opinions"
        )
    asked = (
        [department] if department is not None else [d for d in opinion_departments(step) if DEPARTMENT_ROLES[d] in actor.roles]
    )
    if asked and all(state.opinion_of(d) is not None for d in asked):
        raise DeferralConflict(
            "deferral.opinion_exists",
            f"{'、'.join(asked)}已提交书面意见",
            f"{', '.join(asked)} already recorded its opinion",
            field="department",
        )
    dept = _department(actor, pending, department, "书面意见", "opinion")
    return [
        DeferralOpinionRecorded(
            application_id=applied.application_id,
            credit_code=applied.credit_code,
            step=step.step,
            department=dept,
            role=DEPARTMENT_ROLES[dept],
            officer=actor.sub,
            stance=stance,
            opinion=opinion.strip(),
            at=now,
        )
    ]


def first_review(
    state: DeferralState, actor: Actor, passed: bool, opinion: str, department: str | None, now: datetime
) -> list[Event]:
    """初审: passed moves the application on; failed rejects it."""
    applied, step = _under_review(state)
    opinion = _written(opinion)
    if step.step != FIRST_REVIEW:
        raise DeferralConflict(
            "deferral.no_first_review",
            f"当前步骤是{step.step}，不是初审",
            f"the application is at step {step.step}, not at a first review",
        )
    pending = tuple(d for d, _ in state.awaiting())
    dept = _department(actor, pending, department, "初审", "first review")
    common = {"application_id": applied.application_id, "credit_code": applied.credit_code, "step": step.step, "department": dept}
    reviewed = DeferralFirstReviewed(
        **common,
        role=DEPARTMENT_ROLES[dept],
        officer=actor.sub,
        outcome="passed" if passed else "failed",
        opinion=opinion.strip(),
        at=now,
    )
    if passed:
        return [reviewed]
    return [reviewed, DeferralRejected(**common, role=DEPARTMENT_ROLES[dept], officer=actor.sub, opinion=opinion.strip(), at=now)]


def decide(
    state: DeferralState,
    actor: Actor,
    approve: bool,
    opinion: str,
    now: datetime,
    *,
    policies: PolicySet,
    due_day: Callable[[str, FeePeriod], int],
    first_period: str | None = None,
    last_period: str | None = None,
    insurances: tuple[str, ...] | None = None,
) -> list[Event]:
    """审核决定 by the deciding department, once every required opinion is on record. Approval may
    narrow the periods and insurances applied for, within the limits known now."""
    applied, step = _under_review(state)
    opinion = _written(opinion)
    missing = [d for d, act in state.awaiting() if act != DECISION]
    if step.step not in DECIDING or missing:
        raise DeferralConflict(
            "deferral.opinions_missing",
            f"尚缺以下部门的{'初审' if step.step == FIRST_REVIEW else '书面意见'}：{'、'.join(missing)}",
            f"cannot decide yet: step {step.step} still waits for {', '.join(missing)}",
        )
    lead = step.by[0]
    dept = _department(actor, (lead,), None, "审核决定", "decision")
    common = {"application_id": applied.application_id, "credit_code": applied.credit_code, "step": step.step, "department": dept}
    act = {"role": DEPARTMENT_ROLES[dept], "officer": actor.sub, "opinion": opinion.strip(), "at": now}
    if not approve:
        return [DeferralRejected(**common, **act)]
    issues: list[Issue] = []
    first = parse_period(first_period or applied.first_period, "first_period", issues)
    last = parse_period(last_period or applied.last_period, "last_period", issues)
    chosen = tuple(insurances) if insurances is not None else applied.insurances
    if first is None or last is None:
        raise InvalidDeferral(issues)
    if first < FeePeriod.parse(applied.first_period) or last > FeePeriod.parse(applied.last_period):
        issues.append(
            Issue(
                "first_period",
                "deferral.outside_application",
                "批准的期间超出申请期间",
                f"the approved periods must lie within {applied.first_period}..{applied.last_period}",
            )
        )
    issues += [
        Issue(f"insurances.{n}", "deferral.not_applied", f"未申请缓缴{i}", f"{i} was not applied for")
        for n, i in enumerate(chosen)
        if i not in applied.insurances
    ]
    resolved = terms(policies, applied.region, first, now)
    issues += limits(resolved, first, last, chosen, applied.region)
    if issues or resolved is None:
        raise InvalidDeferral(issues)
    # 缓缴期满后次月补缴: the deferred contributions fall due with the month after the last deferred
    # one, on that month's regular due day, so paying them in that month costs no late fee.
    falls_due = last.next()
    day = due_day(applied.region, falls_due)
    return [
        DeferralApproved(
            **common,
            **act,
            region=applied.region,
            first_period=str(first),
            last_period=str(last),
            months=months_between(first, last) + 1,
            insurances=chosen,
            due_date=date(falls_due.year, falls_due.month, min(day, monthrange(falls_due.year, falls_due.month)[1])).isoformat(),
            policies=policy_refs(resolved),
        )
    ]


def withdraw(state: DeferralState, actor: Actor, reason: str, now: datetime) -> list[Event]:
    """撤回: the payer withdraws its application while it is still under review."""
    applied, _ = _under_review(state)
    if actor.payer != applied.credit_code:
        raise NotAllowed("deferral.not_own", "只能撤回本单位的申请", "a payer may only withdraw its own application")
    return [
        DeferralWithdrawn(
            application_id=applied.application_id,
            credit_code=applied.credit_code,
            reason=reason.strip(),
            withdrawn_by=actor.sub,
            at=now,
        )
    ]


def overlaps(a: tuple[str, str, tuple[str, ...]], b: tuple[str, str, tuple[str, ...]]) -> bool:
    """Whether two (first, last, insurances) deferrals cover a common period and insurance."""
    return a[0] <= b[1] and b[0] <= a[1] and not set(a[2]).isdisjoint(b[2])
