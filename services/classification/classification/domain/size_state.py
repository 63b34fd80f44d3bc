"""A payer's size record (stream `size-<credit code>`), folded from its events: what the province
assigned per statistical year, the corrections since, and the flags raised."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from classification.domain.events import EnterpriseSizeAssigned, EnterpriseSizeCorrected, PeriodRange, SizeReviewFlagged
from eventkit.events import Event


def size_stream(credit_code: str) -> str:
    return f"size-{credit_code}"


def governed_periods(statistical_year: int) -> PeriodRange:
    """The fee periods a statistical year's classification governs: the annual report of year N
    (published by the province during N+1) classifies the enterprise for fee periods N+1-01 …
    N+1-12; so the 2019 report governs the whole of 2020's relief."""
    return PeriodRange(first=f"{statistical_year + 1}-01", last=f"{statistical_year + 1}-12")


@dataclass
class SizeState:
    version: int = 0
    assigned: dict[int, EnterpriseSizeAssigned] = field(default_factory=dict)
    corrections: list[EnterpriseSizeCorrected] = field(default_factory=list)
    flags: set[tuple[int, str]] = field(default_factory=set)

    def size_for(self, period: str) -> str | None:
        """The size in force for a fee period: the latest correction covering it, else the assignment."""
        for c in reversed(self.corrections):
            if c.periods.first <= period <= c.periods.last:
                return c.size
        for a in self.assigned.values():
            if a.periods.first <= period <= a.periods.last:
                return a.size
        return None

    def year_size(self, statistical_year: int) -> str | None:
        """What is recorded for a statistical year: the assignment, or a later correction of it."""
        assigned = self.assigned.get(statistical_year)
        if assigned is None:
            return None
        return self.size_for(assigned.periods.first) or assigned.size


def fold(events: Iterable[Event]) -> SizeState:
    state = SizeState()
    for e in events:
        state.version += 1
        if isinstance(e, EnterpriseSizeAssigned):
            state.assigned[e.statistical_year] = e
        elif isinstance(e, EnterpriseSizeCorrected):
            state.corrections.append(e)
        elif isinstance(e, SizeReviewFlagged):
            state.flags.add((e.statistical_year, e.kind))
    return state
