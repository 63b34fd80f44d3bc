"""Tolerant readers of the relief-calc events the refund service consumes (relief.events).

The refund service never imports relief-calc: these models declare only the fields it needs and
ignore the rest. Other relief-calc events (deferrals, …) are skipped (``Subscription.ignore``);
a newer version of a liability event is dead-lettered until this reader learns it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from eventkit.events import Event, EventRegistry, Message
from refund.domain.allocation import LiabilityLineNotice, LiabilityNotice

IGNORED_PREFIXES = ("relief.",)


class _Reader(Event):
    model_config = ConfigDict(frozen=True, extra="ignore")


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class LineIn(_Part):
    insurance: str
    employer_payable_fen: int
    individual_fen: int


class LiabilityIn(_Part):
    credit_code: str
    fee_period: str
    due_date: str
    lines: tuple[LineIn, ...]


class LiabilityAssessed(_Reader):
    name = "relief.LiabilityAssessed"
    liability: LiabilityIn


class LiabilityReassessed(_Reader):
    name = "relief.LiabilityReassessed"
    liability: LiabilityIn


class LiabilityWithdrawn(_Reader):
    name = "relief.LiabilityWithdrawn"
    credit_code: str
    fee_period: str


class ProjectLiabilityIn(_Part):
    credit_code: str  # the general contractor
    project_code: str
    fee_period: str  # the project's first month
    insurance: str  # work_injury
    payable_fen: int  # the lump-sum premium after its prorated relief


class ProjectLiabilityAssessed(_Reader):
    name = "relief.ProjectLiabilityAssessed"
    liability: ProjectLiabilityIn


class ProjectLiabilityReassessed(_Reader):
    name = "relief.ProjectLiabilityReassessed"
    liability: ProjectLiabilityIn


relief_registry = EventRegistry(
    LiabilityAssessed, LiabilityReassessed, LiabilityWithdrawn, ProjectLiabilityAssessed, ProjectLiabilityReassessed
)


def notice_of(msg: Message) -> LiabilityNotice:
    """The domain's view of a liability event (its stream version orders the period's events)."""
    e, version = msg.event, msg.envelope.streamversion or 0
    if isinstance(e, ProjectLiabilityAssessed | ProjectLiabilityReassessed):
        p = e.liability  # a project's premium: one line, the employer's, on the project's own account
        return LiabilityNotice(
            credit_code=p.credit_code,
            fee_period=p.fee_period,
            kind="assessed" if isinstance(e, ProjectLiabilityAssessed) else "reassessed",
            source_event_id=msg.event_id,
            source_version=version,
            lines=(LiabilityLineNotice(p.insurance, p.payable_fen, 0),),
            project=p.project_code,
        )
    if isinstance(e, LiabilityWithdrawn):
        return LiabilityNotice(e.credit_code, e.fee_period, "withdrawn", msg.event_id, version)
    assert isinstance(e, LiabilityAssessed | LiabilityReassessed)
    li = e.liability
    return LiabilityNotice(
        credit_code=li.credit_code,
        fee_period=li.fee_period,
        kind="assessed" if isinstance(e, LiabilityAssessed) else "reassessed",
        source_event_id=msg.event_id,
        source_version=version,
        lines=tuple(LiabilityLineNotice(x.insurance, x.employer_payable_fen, x.individual_fen) for x in li.lines),
        due_date=li.due_date,
    )
