"""缓缴 Deferral: the application's vocabulary, refusals and state folded from its events (DOMAIN.md §2.4).

The review flow is a list of steps taken from the deferral policy; this module gives each step kind
its meaning:

* ``opinions``: every department in ``by`` records its written opinion (书面意见), in any order;
* ``first_review``: every department in ``by`` reviews first (初审); a failed first review rejects;
* ``decision`` / ``joint_review``: the first department in ``by`` decides (approves or rejects), once
  every other department in ``by`` and every one in ``opinions_from`` has recorded its opinion.

Departments act through platform roles (:data:`DEPARTMENT_ROLES`). Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from eventkit.events import Event
from relief_calc.domain.deferral_events import (
    DeferralApplied,
    DeferralApproved,
    DeferralFirstReviewed,
    DeferralOpinionRecorded,
    DeferralRejected,
    DeferralWithdrawn,
    Evidence,
    FlowStep,
)
from relief_calc.domain.errors import ReliefError

# Which platform role acts for which department of a review flow (documented in the README).
DEPARTMENT_ROLES: dict[str, str] = {
    "county_hr": "hr_officer",  # 县（区）人社局: decides county applications
    "city_social_insurance_centre": "hr_officer",  # 市社保中心 (under the city HR bureau): first review
    "hr": "hr_officer",  # 市人社局: leads and decides the city joint review
    "finance": "finance_officer",  # 财政
    "tax": "tax_officer",  # 税务
    "econ": "econ_officer",  # 经信 (economy and IT)
}
OPINIONS, FIRST_REVIEW, DECISION, JOINT_REVIEW = "opinions", "first_review", "decision", "joint_review"
DECIDING = frozenset({DECISION, JOINT_REVIEW})
LEVELS = ("county", "city")
UNDER_REVIEW, APPROVED, REJECTED, WITHDRAWN = "under_review", "approved", "rejected", "withdrawn"


# ---- refusals ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Issue:
    field: str
    code: str
    zh: str
    en: str


class DeferralError(ReliefError):
    """A refused deferral command; ``status`` is the HTTP status it answers with."""

    status = 422

    def __init__(self, code: str, zh: str, en: str, *, field: str = "(state)") -> None:
        super().__init__(zh, en, field=field)
        self.code = code


class InvalidDeferral(DeferralError):
    """A request the caller can fix: every offending field is listed in ``issues``."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues = tuple(issues)
        first = self.issues[0]
        super().__init__(
            first.code, "；".join(i.zh for i in self.issues), "; ".join(i.en for i in self.issues), field=first.field
        )


class DeferralConflict(DeferralError):
    status = 409


class NotAllowed(DeferralError):
    status = 403


class DeferralNotFound(DeferralError):
    status = 404


class FlowDataError(DeferralError):
    """The policy's review flow cannot be followed (a policy data fault, never the caller's)."""

    status = 503


# ---- inputs --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Actor:
    sub: str
    roles: frozenset[str]
    payer: str | None = None


@dataclass(frozen=True)
class ApplicationInput:
    credit_code: str
    region: str
    review_level: str
    first_period: str
    last_period: str
    insurances: tuple[str, ...]
    reason: str
    hardship: tuple[str, ...]
    evidence: tuple[Evidence, ...]


# ---- state ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeferralState:
    version: int = 0
    applied: DeferralApplied | None = None
    status: str = "none"
    step_index: int = 0
    opinions: tuple[DeferralOpinionRecorded, ...] = ()
    first_reviews: tuple[DeferralFirstReviewed, ...] = ()
    approved: DeferralApproved | None = None
    rejected: DeferralRejected | None = None
    withdrawn: DeferralWithdrawn | None = None

    @property
    def step(self) -> FlowStep | None:
        """The step under way (None once decided or withdrawn)."""
        if self.applied is None or self.status != UNDER_REVIEW:
            return None
        return self.applied.flow[self.step_index]

    def opinion_of(self, department: str) -> DeferralOpinionRecorded | None:
        return next((o for o in self.opinions if o.department == department), None)

    def awaiting(self) -> tuple[tuple[str, str], ...]:
        """(department, act) pairs the current step waits for; act: opinion | first_review | decision."""
        step = self.step
        if step is None:
            return ()
        if step.step == FIRST_REVIEW:
            done = {r.department for r in self.first_reviews}
            return tuple((d, FIRST_REVIEW) for d in step.by if d not in done)
        missing = tuple((d, "opinion") for d in opinion_departments(step) if self.opinion_of(d) is None)
        return missing if step.step == OPINIONS or missing else ((step.by[0], DECISION),)


def opinion_departments(step: FlowStep) -> tuple[str, ...]:
    wanted = step.by if step.step == OPINIONS else (*step.by[1:], *step.opinions_from) if step.step in DECIDING else ()
    return tuple(dict.fromkeys(wanted))


def _settle(state: DeferralState) -> DeferralState:
    """Move past every step that is complete (a deciding step completes only by its decision)."""
    while (step := state.step) is not None and step.step not in DECIDING and not state.awaiting():
        state = replace(state, step_index=state.step_index + 1)
    return state


def fold(events: Iterable[Event]) -> DeferralState:
    state = DeferralState()
    for e in events:
        state = replace(state, version=state.version + 1)
        if isinstance(e, DeferralApplied):
            state = _settle(replace(state, applied=e, status=UNDER_REVIEW, step_index=0))
        elif isinstance(e, DeferralOpinionRecorded):
            state = _settle(replace(state, opinions=(*state.opinions, e)))
        elif isinstance(e, DeferralFirstReviewed):
            state = replace(state, first_reviews=(*state.first_reviews, e))
            state = _settle(state) if e.outcome == "passed" else state
        elif isinstance(e, DeferralApproved):
            state = replace(state, approved=e, status=APPROVED)
        elif isinstance(e, DeferralRejected):
            state = replace(state, rejected=e, status=REJECTED)
        elif isinstance(e, DeferralWithdrawn):
            state = replace(state, withdrawn=e, status=WITHDRAWN)
    return state


STATUS_ZH = {UNDER_REVIEW: "审核中", APPROVED: "批准", REJECTED: "驳回", WITHDRAWN: "撤回", "none": "不存在"}
