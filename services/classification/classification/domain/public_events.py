"""The integration event classification shares with other agencies (public.size-corrections).

A stable contract, separate from the internal size events: `public.SizeCorrected` v1 says that
the province corrected a payer's enterprise size (企业划型更正) for a range of fee periods. It
carries the payer's credit code and nothing else personal (no officer, no free-text reason).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from classification.domain.events import EnterpriseSizeCorrected
from eventkit.events import Event

PUBLIC_SIZE_TOPIC = "public.size-corrections"
_PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"
_SIZE = "^(large|medium|small|micro|unclassifiable)$"


class SizeCorrected(Event):
    """企业划型更正: the size in force for fee periods `first_period`..`last_period` is now `size`."""

    name = "public.SizeCorrected"
    version = 1
    credit_code: str = Field(description="统一社会信用代码 of the payer")
    size: str = Field(pattern=_SIZE)
    previous_size: str | None = Field(default=None, pattern=_SIZE)
    first_period: str = Field(pattern=_PERIOD, description="first fee period (费款所属期) the correction applies to")
    last_period: str = Field(pattern=_PERIOD)
    basis: Literal["dispute", "province"] = Field(description="an upheld dispute (异议) or the province's own correction")


PUBLIC_EVENTS = (SizeCorrected,)


def size_corrected(e: EnterpriseSizeCorrected) -> SizeCorrected:
    return SizeCorrected(
        credit_code=e.credit_code,
        size=e.size,
        previous_size=e.previous_size,
        first_period=e.periods.first,
        last_period=e.periods.last,
        basis="dispute" if e.dispute_id else "province",
    )


def public_stream(credit_code: str) -> str:
    return f"public-size-{credit_code}"
