"""费款所属期: the month a contribution belongs to.

Relief is decided by fee period, never by payment date, so this is the one time type the relief
rules compare. It is a value: frozen, hashable, ordered, printed as ``YYYY-MM``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from refdata.errors import InvalidFeePeriod

_PATTERN = re.compile(r"(\d{4})-(\d{2})")
MIN_YEAR = 1900
MAX_YEAR = 2999


@dataclass(frozen=True, order=True, slots=True)
class FeePeriod:
    """A 费款所属期 ``YYYY-MM``; order is chronological."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if isinstance(self.year, bool) or not isinstance(self.year, int) or not MIN_YEAR <= self.year <= MAX_YEAR:
            raise InvalidFeePeriod(
                f"费款所属期年份应在{MIN_YEAR}至{MAX_YEAR}之间，实际为{self.year!r}",
                f"fee period year must be {MIN_YEAR}-{MAX_YEAR}, got {self.year!r}",
            )
        if isinstance(self.month, bool) or not isinstance(self.month, int) or not 1 <= self.month <= 12:
            raise InvalidFeePeriod(
                f"费款所属期月份应为01至12，实际为{self.month!r}", f"fee period month must be 01-12, got {self.month!r}"
            )

    @classmethod
    def parse(cls, text: str) -> FeePeriod:
        """Parse ``YYYY-MM`` exactly (``2020-03``; not ``2020-3``, ``202003`` or ``2020-03-01``)."""
        if not isinstance(text, str):
            raise InvalidFeePeriod(
                "费款所属期必须是YYYY-MM格式的字符串", f"fee period must be a YYYY-MM string, got {type(text).__name__}"
            )
        match = _PATTERN.fullmatch(text)
        if match is None:
            raise InvalidFeePeriod(
                f"费款所属期“{text}”不是YYYY-MM格式（例如2020-03）",
                f"fee period {text!r} is not in the form YYYY-MM (e.g. 2020-03)",
            )
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, value: FeePeriod | str) -> FeePeriod:
        """Accept a fee period or its ``YYYY-MM`` text."""
        return value if isinstance(value, FeePeriod) else cls.parse(value)

    @classmethod
    def from_date(cls, day: dt.date) -> FeePeriod:
        """The month that contains ``day``."""
        return cls(day.year, day.month)

    @classmethod
    def from_index(cls, index: int) -> FeePeriod:
        """Inverse of :attr:`index`."""
        return cls(index // 12, index % 12 + 1)

    @property
    def index(self) -> int:
        """Months since year 0: consecutive periods have consecutive indexes."""
        return self.year * 12 + self.month - 1

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def shift(self, months: int) -> FeePeriod:
        """The period ``months`` later (earlier when negative)."""
        return FeePeriod.from_index(self.index + months)

    def next(self) -> FeePeriod:
        return self.shift(1)

    def prev(self) -> FeePeriod:
        return self.shift(-1)

    def within(self, first: FeePeriod, last: FeePeriod | None) -> bool:
        """Whether ``first <= self <= last`` (``last`` None: open-ended)."""
        return first <= self and (last is None or self <= last)

    @staticmethod
    def range(first: FeePeriod | str, last: FeePeriod | str) -> tuple[FeePeriod, ...]:
        """Every period from ``first`` to ``last``, both inclusive; empty when ``last < first``."""
        a, b = FeePeriod.of(first), FeePeriod.of(last)
        return tuple(FeePeriod.from_index(i) for i in range(a.index, b.index + 1))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __repr__(self) -> str:
        return f"FeePeriod('{self}')"


def months_between(first: FeePeriod | str, last: FeePeriod | str) -> int:
    """``last - first`` in months: ``months_between('2020-02', '2020-06') == 4``; negative if reversed.

    The number of periods in the inclusive range is ``months_between(a, b) + 1``.
    """
    return FeePeriod.of(last).index - FeePeriod.of(first).index
