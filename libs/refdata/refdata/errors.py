"""Errors of the reference data, each with a reason in Chinese (``.zh``) and in English (``.en``).

Every error says precisely what is wrong, so that a service can show it to a payer or an officer
as it is (problem+json ``detail``), without rephrasing.
"""

from __future__ import annotations


class RefdataError(ValueError):
    """Base of every reference-data error: ``.zh`` for the bureau and payers, ``.en`` for logs."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{en} ({zh})")
        self.zh = zh
        self.en = en


class InvalidCode(RefdataError):
    """A 统一社会信用代码 or 居民身份证号码 that is malformed or fails its check character."""


class InvalidFeePeriod(RefdataError):
    """A 费款所属期 that is not a ``YYYY-MM`` month."""


class InvalidAmount(RefdataError):
    """A rate, an amount in fen or a rounding mode that the money rules do not accept."""


class InvalidIndustry(RefdataError):
    """A GB/T 4754-2017 section or division that does not exist, or a division outside its section."""


class UnknownRegion(RefdataError):
    """A 统筹区 code that the platform does not support."""


class NoParameters(RefdataError):
    """A supported region without parameters for the requested 费款所属期 (or one insurance of it)."""


class RegionDataError(RefdataError):
    """The shipped region data is inconsistent (a packaging or editing error, never a payer's)."""
