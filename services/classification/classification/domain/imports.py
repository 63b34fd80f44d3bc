"""Applying a province file: what each checked row would do to the payer's size record (the diff
preview) and the events that applying it appends. Pure: the caller loads the payers' records.

- **new**: no size for that statistical year yet → `EnterpriseSizeAssigned` for the fee periods
  the year governs (`governed_periods`);
- **unchanged**: the same size is already recorded for the year → nothing;
- **changed**: another size is recorded for the year. Sizes are fixed per statistical year, so a
  file does not overwrite them: the row is held (`SizeReviewFlagged`, kind `size_change_held`) and
  a change takes effect only through the correction path (an upheld dispute, or a province
  officer's correction), which records who decided it and why, retroactively;
- a **new** row whose own indicators (X/Y/Z) give another class under the 2017 standard is
  applied as the province gave it and flagged (`indicators_contradict`) for an officer to review.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from classification.domain.events import EnterpriseSizeAssigned, Indicators, SizeReviewFlagged
from classification.domain.issues import Rejected
from classification.domain.province_file import ProvinceRow, RowError
from classification.domain.size_state import SizeState, governed_periods
from classification.domain.standard import evaluate
from eventkit.events import Event

NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"


@dataclass(frozen=True)
class RowOutcome:
    row: ProvinceRow
    status: str  # new | changed | unchanged
    current_size: str | None
    expected_size: str | None = None  # what the row's indicators give, when that contradicts it

    @property
    def flagged(self) -> bool:
        return self.expected_size is not None


@dataclass
class Plan:
    outcomes: list[RowOutcome] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def flagged(self) -> int:
        return sum(1 for o in self.outcomes if o.flagged or o.status == CHANGED)


def indicators_of(row: ProvinceRow) -> Indicators | None:
    if not row.has_indicators:
        return None
    return Indicators(
        headcount=row.headcount,
        revenue=None if row.revenue is None else format(row.revenue, "f"),
        assets=None if row.assets is None else format(row.assets, "f"),
    )


def expected_size(row: ProvinceRow) -> str | None:
    """The class the row's own indicators give, when they are enough to decide and it differs."""
    if not row.has_indicators:
        return None
    try:
        result = evaluate(row.industry, headcount=row.headcount, revenue=row.revenue, assets=row.assets)
    except Rejected:  # too coarse an industry, or not every indicator the row needs: nothing to compare
        return None
    return None if result.size == row.size else str(result.size)


def plan(rows: list[ProvinceRow], errors: list[RowError], states: Mapping[str, SizeState]) -> Plan:
    out = Plan(errors=list(errors))
    for row in rows:
        current = states[row.credit_code].year_size(row.statistical_year)
        if current is None:
            out.outcomes.append(RowOutcome(row, NEW, None, expected_size(row)))
        elif current == row.size:
            out.outcomes.append(RowOutcome(row, UNCHANGED, current))
        else:
            out.outcomes.append(RowOutcome(row, CHANGED, current))
    return out


def events_for(outcome: RowOutcome, import_id: str) -> list[Event]:
    """What applying one row appends to the payer's size stream."""
    row = outcome.row
    if outcome.status == UNCHANGED:
        return []
    if outcome.status == CHANGED:
        return [
            SizeReviewFlagged(
                credit_code=row.credit_code,
                statistical_year=row.statistical_year,
                kind="size_change_held",
                imported_size=row.size,
                expected_size=outcome.current_size,
                industry=row.industry,
                indicators=indicators_of(row),
                import_id=import_id,
                source_version=row.source_version,
                reason=(
                    f"statistical year {row.statistical_year} is already classified {outcome.current_size}; "
                    f"the file says {row.size}: sizes are fixed per year, a change needs a correction"
                ),
            )
        ]
    events: list[Event] = [
        EnterpriseSizeAssigned(
            credit_code=row.credit_code,
            size=row.size,
            statistical_year=row.statistical_year,
            periods=governed_periods(row.statistical_year),
            source_version=row.source_version,
            import_id=import_id,
        )
    ]
    if outcome.expected_size is not None:
        events.append(
            SizeReviewFlagged(
                credit_code=row.credit_code,
                statistical_year=row.statistical_year,
                kind="indicators_contradict",
                imported_size=row.size,
                expected_size=outcome.expected_size,
                industry=row.industry,
                indicators=indicators_of(row),
                import_id=import_id,
                source_version=row.source_version,
                reason=f"the row's indicators give {outcome.expected_size} under 国统字〔2017〕213号, the file says {row.size}",
            )
        )
    return events
