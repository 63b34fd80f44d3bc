"""The events of a size dispute (企业划型异议), one stream per dispute: `dispute-<dispute id>`,
subject (and Kafka key) the disputing payer's credit code. Every step names who took it (`by`,
the principal, and `role`), why (`note`, `reasons`, an opinion's text) and when (the envelope's
time); `due` is the deadline of the step that follows."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from classification.domain.events import Indicators, PeriodRange
from eventkit.events import Event

SIZE_PATTERN = "^(large|medium|small|micro|unclassifiable)$"


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Part):
    """What the payer claims, in writing: indicators (X/Y/Z) and its industry."""

    industry: str
    indicators: Indicators


class Document(_Part):
    """An attached document: its bytes are kept by content hash (table dispute_documents)."""

    name: str
    media_type: str
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    size_bytes: int


class GroupSplit(_Part):
    """攀钢: the payer is a legal entity split from `group` (统一参保 → 分别参保) and asks to be
    classified on its own from `effective_period`, not under the group's size."""

    group: str
    effective_period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")


class DisputeFiled(Event):
    name = "classification.DisputeFiled"
    dispute_id: str
    credit_code: str
    statistical_year: int
    periods: PeriodRange  # the fee periods the disputed classification governs (what a correction reaches back over)
    current_size: str | None
    claimed_size: str = Field(pattern=SIZE_PATTERN)
    evidence: Evidence
    standard_size: str | None = None  # what the 2017 standard gives for the evidence, as a hint for reviewers
    documents: tuple[Document, ...] = ()
    group_split: GroupSplit | None = None
    reason: str
    by: str
    role: str
    due: datetime


class DisputeTakenIn(Event):
    """The city social-insurance centre (市社会保险事务中心) accepted the objection for review."""

    name = "classification.DisputeTakenIn"
    dispute_id: str
    by: str
    role: str
    note: str
    due: datetime


class OpinionRecorded(Event):
    """A written opinion of the statistics bureau (lead), HR (人社局) or 经信局."""

    name = "classification.OpinionRecorded"
    dispute_id: str
    agency: str = Field(pattern="^(stats|hr|econ)$")
    finds_size: str = Field(pattern=SIZE_PATTERN)
    supports_claim: bool
    opinion: str
    by: str
    role: str
    due: datetime | None = None  # set by the last of the three opinions: the decision's deadline


class DisputeDecided(Event):
    """The statistics bureau, as lead, decides on the three opinions."""

    name = "classification.DisputeDecided"
    dispute_id: str
    outcome: str = Field(pattern="^(upheld|rejected)$")
    size: str | None = Field(default=None, pattern=SIZE_PATTERN)  # the size found, when upheld
    reasons: str
    by: str
    role: str
    due: datetime | None = None  # HR's report to the province, when upheld


class DisputeReported(Event):
    """HR reported the upheld dispute to the province, asking it to correct its shared data."""

    name = "classification.DisputeReported"
    dispute_id: str
    reference: str
    note: str
    by: str
    role: str
    due: datetime


class DisputeCorrected(Event):
    """The province corrected its shared data; `EnterpriseSizeCorrected` on the payer's size stream
    was appended in the same transaction."""

    name = "classification.DisputeCorrected"
    dispute_id: str
    size: str = Field(pattern=SIZE_PATTERN)
    periods: PeriodRange
    reference: str
    by: str
    role: str


DISPUTE_EVENTS: tuple[type[Event], ...] = (
    DisputeFiled,
    DisputeTakenIn,
    OpinionRecorded,
    DisputeDecided,
    DisputeReported,
    DisputeCorrected,
)
