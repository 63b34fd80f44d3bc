"""企业划型异议: a payer's objection to its size, through multi-agency review to the province's
correction (攀枝花 and 上海 practice, DOMAIN.md §5.1).

    filed ──take in (insurance centre)──▶ under_review ──3 opinions (stats, hr, econ)──▶ opinions_complete
      ──decide (stats, lead)──▶ upheld ──report (hr)──▶ reported ──correct (province)──▶ corrected
                             └─▶ rejected

Each step has a deadline (`DEADLINES`, calendar days from the step before); a dispute whose
current step is past its deadline is overdue. Decisions are pure: they take the state and the
command's facts and return the events, or raise Conflict / Rejected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from classification.domain.dispute_events import (
    DisputeCorrected,
    DisputeDecided,
    DisputeFiled,
    DisputeReported,
    DisputeTakenIn,
    OpinionRecorded,
)
from classification.domain.events import EnterpriseSizeCorrected, PeriodRange
from classification.domain.issues import Conflict, Issue, Rejected
from eventkit.events import Event

Step = Callable[["DisputeState"], list[Event]]
FILED, UNDER_REVIEW, OPINIONS_COMPLETE = "filed", "under_review", "opinions_complete"
UPHELD, REJECTED, REPORTED, CORRECTED = "upheld", "rejected", "reported", "corrected"
OPEN = (FILED, UNDER_REVIEW, OPINIONS_COMPLETE, UPHELD, REPORTED)
STATUSES = (*OPEN, REJECTED, CORRECTED)
AGENCIES = ("stats", "hr", "econ")

# Deadline of the step a dispute waits for, in calendar days from the step before.
DEADLINES = {FILED: 5, UNDER_REVIEW: 15, OPINIONS_COMPLETE: 5, UPHELD: 10, REPORTED: 30}
WAITING_FOR = {
    FILED: "intake by the social-insurance centre (受理)",
    UNDER_REVIEW: "opinions of statistics, HR and 经信 (核实意见)",
    OPINIONS_COMPLETE: "the statistics bureau's decision (认定)",
    UPHELD: "HR's report to the province (上报)",
    REPORTED: "the province's correction (省级更正)",
}


def dispute_stream(dispute_id: str) -> str:
    return f"dispute-{dispute_id}"


def due(step: str, since: datetime) -> datetime:
    return since + timedelta(days=DEADLINES[step])


@dataclass
class DisputeState:
    version: int = 0
    filed: DisputeFiled | None = None
    status: str | None = None
    opinions: dict[str, OpinionRecorded] = field(default_factory=dict)
    decided: DisputeDecided | None = None
    due: datetime | None = None

    @property
    def credit_code(self) -> str:
        return self.filed.credit_code if self.filed else ""


def fold(events: Iterable[Event]) -> DisputeState:
    s = DisputeState()
    for e in events:
        s.version += 1
        if isinstance(e, DisputeFiled):
            s.filed, s.status, s.due = e, FILED, e.due
        elif isinstance(e, DisputeTakenIn):
            s.status, s.due = UNDER_REVIEW, e.due
        elif isinstance(e, OpinionRecorded):
            s.opinions[e.agency] = e
            if len(s.opinions) == len(AGENCIES):
                s.status, s.due = OPINIONS_COMPLETE, e.due
        elif isinstance(e, DisputeDecided):
            s.decided, s.status, s.due = e, (UPHELD if e.outcome == "upheld" else REJECTED), e.due
        elif isinstance(e, DisputeReported):
            s.status, s.due = REPORTED, e.due
        elif isinstance(e, DisputeCorrected):
            s.status, s.due = CORRECTED, None
    return s


def _expect(state: DisputeState, *statuses: str, step: str) -> DisputeFiled:
    if state.filed is None:
        raise Conflict("dispute.unknown", "异议不存在", "no such dispute")
    if state.status not in statuses:
        raise Conflict(
            "dispute.out_of_order",
            f"当前状态为{state.status}，不能{step}",
            f"the dispute is {state.status}: cannot {step} now (needs {' or '.join(statuses)})",
        )
    return state.filed


def file_dispute(state: DisputeState, filed: DisputeFiled) -> list[Event]:
    if state.filed is not None:
        raise Conflict("dispute.exists", "异议编号已存在", f"dispute {filed.dispute_id} already exists")
    if filed.current_size == filed.claimed_size:
        raise Rejected(
            [
                Issue(
                    "claimed_size",
                    "claimed_size.same",
                    "主张的规模与现有划型相同",
                    f"the payer is already classified {filed.claimed_size}",
                )
            ]
        )
    return [filed]


def take_in(state: DisputeState, *, by: str, role: str, note: str, now: datetime) -> list[Event]:
    filed = _expect(state, FILED, step="take it in")
    return [DisputeTakenIn(dispute_id=filed.dispute_id, by=by, role=role, note=note, due=due(UNDER_REVIEW, now))]


def record_opinion(
    state: DisputeState, *, agency: str, finds_size: str, opinion: str, by: str, role: str, now: datetime
) -> list[Event]:
    filed = _expect(state, UNDER_REVIEW, step="record an opinion")
    if agency in state.opinions:
        raise Conflict("opinion.recorded", "该部门已出具意见", f"the {agency} opinion is already recorded")
    last = len(state.opinions) == len(AGENCIES) - 1
    return [
        OpinionRecorded(
            dispute_id=filed.dispute_id,
            agency=agency,
            finds_size=finds_size,
            supports_claim=finds_size == filed.claimed_size,
            opinion=opinion,
            by=by,
            role=role,
            due=due(OPINIONS_COMPLETE, now) if last else None,
        )
    ]


def decide(
    state: DisputeState, *, upheld: bool, size: str | None, reasons: str, by: str, role: str, now: datetime
) -> list[Event]:
    filed = _expect(state, OPINIONS_COMPLETE, step="decide")
    found = (size or filed.claimed_size) if upheld else None
    if upheld and found == filed.current_size:
        raise Rejected(
            [
                Issue(
                    "size", "size.same", "认定规模与现有划型相同", "an upheld dispute must find a size other than the current one"
                )
            ]
        )
    return [
        DisputeDecided(
            dispute_id=filed.dispute_id,
            outcome="upheld" if upheld else "rejected",
            size=found,
            reasons=reasons,
            by=by,
            role=role,
            due=due(UPHELD, now) if upheld else None,
        )
    ]


def report(state: DisputeState, *, reference: str, note: str, by: str, role: str, now: datetime) -> list[Event]:
    filed = _expect(state, UPHELD, step="report to the province")
    return [
        DisputeReported(dispute_id=filed.dispute_id, reference=reference, note=note, by=by, role=role, due=due(REPORTED, now))
    ]


def affected_periods(filed: DisputeFiled) -> PeriodRange:
    """Every fee period the disputed classification governs; for a group split, from the split on."""
    if filed.group_split is not None and filed.group_split.effective_period > filed.periods.first:
        return PeriodRange(first=filed.group_split.effective_period, last=filed.periods.last)
    return filed.periods


def correct(
    state: DisputeState, *, size: str | None, reference: str, by: str, role: str, periods: PeriodRange | None = None
) -> tuple[list[Event], EnterpriseSizeCorrected]:
    """The province's correction: the dispute closes and the size is corrected, retroactively, for
    every affected fee period (the caller appends the second to the payer's size stream)."""
    filed = _expect(state, REPORTED, step="record the province's correction")
    assert state.decided is not None
    final = size or state.decided.size or filed.claimed_size
    reach = periods or affected_periods(filed)
    if not (filed.periods.first <= reach.first <= reach.last <= filed.periods.last):
        raise Rejected(
            [
                Issue(
                    "periods",
                    "periods.outside",
                    "更正期间超出异议所涉期间",
                    f"a correction reaches {filed.periods.first}…{filed.periods.last} at most",
                )
            ]
        )
    closing = DisputeCorrected(dispute_id=filed.dispute_id, size=final, periods=reach, reference=reference, by=by, role=role)
    corrected = EnterpriseSizeCorrected(
        credit_code=filed.credit_code,
        size=final,
        previous_size=filed.current_size,
        periods=reach,
        dispute_id=filed.dispute_id,
        reason=f"省级更正 {reference}: {state.decided.reasons}",
    )
    return [closing], corrected
