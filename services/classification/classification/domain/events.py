"""The events the classification service writes and reads, with their schema versions.

Stream `size-<credit code>` (every size event of one payer); subject (and Kafka key) the payer's
credit code. relief-calc reads
the two size events below to decide exemption (SME) or halving (large): their shape is a contract
(contracts/events/), fixed before the service that emits them is complete.

Every event class is registered in `domain/registry.py`; the consumer dead-letters any type not registered.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from eventkit.events import Event

SIZES = ("large", "medium", "small", "micro", "unclassifiable")


class PeriodRange(BaseModel):
    """Fee periods `first` … `last` (YYYY-MM, both inclusive) a size governs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    last: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")


class EnterpriseSizeAssigned(Event):
    """The province's shared data classifies the enterprise for one statistical year; the size
    governs the fee periods given. A later import for the same periods replaces it."""

    name = "classification.EnterpriseSizeAssigned"
    credit_code: str
    size: str = Field(pattern="^(large|medium|small|micro|unclassifiable)$")
    statistical_year: int
    periods: PeriodRange
    source_version: str  # the province file's version
    import_id: str


class EnterpriseSizeCorrected(Event):
    """The province corrected the size (an upheld dispute, 企业划型异议): retroactive for the periods
    given, and it wins over any assignment for them."""

    name = "classification.EnterpriseSizeCorrected"
    credit_code: str
    size: str = Field(pattern="^(large|medium|small|micro|unclassifiable)$")
    previous_size: str | None = None
    periods: PeriodRange
    dispute_id: str | None = None
    reason: str


class Indicators(BaseModel):
    """X 从业人员, Y 营业收入 and Z 资产总额 (万元 as exact decimal strings), as far as known."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    headcount: int | None = None
    revenue: str | None = None
    assets: str | None = None


class SizeReviewFlagged(Event):
    """An imported row needs an officer's look; the imported size stands meanwhile (it is the
    province's data, not ours to change). `kind`: `indicators_contradict` (the 2017 standard gives
    `expected_size` for the row's own indicators) or `size_change_held` (a later file gives another
    size for a statistical year already imported: sizes are fixed per year, a change goes through
    the correction path)."""

    name = "classification.SizeReviewFlagged"
    credit_code: str
    statistical_year: int
    kind: str = Field(pattern="^(indicators_contradict|size_change_held)$")
    imported_size: str
    expected_size: str | None = None
    industry: str
    indicators: Indicators | None = None
    import_id: str
    source_version: str
    reason: str


class ImportSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rows: int
    new: int
    changed: int
    unchanged: int
    errors: int
    flagged: int


class ProvinceImportApplied(Event):
    """A province's classification file (省级共享的企业划型数据) was applied. Stream `import-<sha256>`,
    subject the file's SHA-256: one file is applied once, whatever it is called."""

    name = "classification.ProvinceImportApplied"
    import_id: str
    sha256: str
    file_name: str | None = None
    file_format: str = Field(pattern="^(csv|xlsx)$")
    source_versions: tuple[str, ...]
    statistical_years: tuple[int, ...]
    summary: ImportSummary
    applied_by: str


SIZE_EVENTS: tuple[type[Event], ...] = (EnterpriseSizeAssigned, EnterpriseSizeCorrected, SizeReviewFlagged, ProvinceImportApplied)
