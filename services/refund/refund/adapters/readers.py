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


relief_registry = EventRegistry(LiabilityAssessed, LiabilityReassessed, LiabilityWithdrawn)


def notice_of(msg: Message) -> LiabilityNotice:
    """The domain's view of a liability event (its stream version orders the period's events)."""
    e, version = msg.event, msg.envelope.streamversion or 0
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
