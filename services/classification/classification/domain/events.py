"""The events the classification service writes and reads, with their schema versions.

Stream `size-<credit code>`; subject (and Kafka key) the payer's credit code. relief-calc reads
the two size events below to decide exemption (SME) or halving (large): their shape is a contract
(contracts/events/), fixed before the service that emits them is complete.

Every event class is registered here; the consumer dead-letters any type not registered.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from eventkit.events import Event, EventRegistry

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


registry = EventRegistry(EnterpriseSizeAssigned, EnterpriseSizeCorrected)
