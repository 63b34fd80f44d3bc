"""The late fee on a running balance (late_fees.overdue_runs, accrued_fee_fen): properties against
the single-amount rule it generalises, and its boundaries."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relief_calc.domain.errors import InvalidRequest
from relief_calc.domain.late_fees import Overdue, accrued_fee_fen, late_fee_days, late_fee_fen, overdue_runs

DUE = date(2020, 5, 25)
fen = st.integers(min_value=0, max_value=10**9)
days = st.integers(min_value=-30, max_value=2_000)


@given(fen, days)
def test_with_nothing_settled_it_is_the_single_amount_rule(owed: int, offset: int) -> None:
    on = DUE + timedelta(days=offset)
    assert accrued_fee_fen(overdue_runs(owed, DUE, on)) == late_fee_fen(owed, DUE, on)


@given(fen, st.integers(min_value=-30, max_value=400), st.integers(min_value=0, max_value=800))
def test_paying_everything_on_a_day_is_late_until_that_day(owed: int, paid_offset: int, after: int) -> None:
    paid_on = DUE + timedelta(days=paid_offset)
    on = max(paid_on, DUE) + timedelta(days=after)
    runs = overdue_runs(owed, DUE, on, [(paid_on, owed)])
    assert accrued_fee_fen(runs) == late_fee_fen(owed, DUE, paid_on)
    assert sum(r.days for r in runs) == (late_fee_days(DUE, paid_on) if owed else 0)


@given(fen, st.lists(st.tuples(st.integers(min_value=-10, max_value=300), st.integers(-(10**6), 10**6)), max_size=8))
def test_runs_are_disjoint_ordered_positive_and_never_above_the_owed_amount(owed: int, moves: list[tuple[int, int]]) -> None:
    on = DUE + timedelta(days=200)
    runs = overdue_runs(owed, DUE, on, [(DUE + timedelta(days=d), f) for d, f in moves])
    for r in runs:
        assert DUE < r.first <= r.last <= on and 0 < r.overdue_fen <= owed
    for a, b in pairwise(runs):
        assert a.last < b.first and (a.overdue_fen != b.overdue_fen or a.last + timedelta(days=1) < b.first)


def test_settled_entries_count_from_the_day_after_their_day() -> None:
    runs = overdue_runs(1_000, DUE, date(2020, 6, 4), [(date(2020, 5, 28), 400), (date(2020, 6, 4), 600)])
    assert runs == [Overdue(date(2020, 5, 26), date(2020, 5, 28), 1_000), Overdue(date(2020, 5, 29), date(2020, 6, 4), 600)]
    # a reversal the same day as its payment cancels it
    assert overdue_runs(1_000, DUE, date(2020, 5, 27), [(DUE, 1_000), (DUE, -1_000)]) == [
        Overdue(date(2020, 5, 26), date(2020, 5, 27), 1_000)
    ]


def test_rounded_once_over_the_whole_not_per_day() -> None:
    # 1 fen overdue for 1,000 days at 0.05 %: 0.5 fen → 1 (per-day rounding would give 0)
    assert accrued_fee_fen([Overdue(date(2020, 1, 1), date(2022, 9, 26), 1)]) == 1
    assert accrued_fee_fen([]) == 0


def test_bad_amounts_and_days_are_refused() -> None:
    with pytest.raises(InvalidRequest):
        overdue_runs(-1, DUE, DUE)
    with pytest.raises(InvalidRequest):
        overdue_runs(100, DUE, DUE + timedelta(days=3), [(DUE, 1.5)])  # type: ignore[list-item]
