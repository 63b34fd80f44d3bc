"""费款所属期."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refdata.errors import InvalidFeePeriod
from refdata.periods import FeePeriod, months_between


def test_parse_print_and_navigate() -> None:
    period = FeePeriod.parse("2020-02")
    assert str(period) == "2020-02" and repr(period) == "FeePeriod('2020-02')"
    assert period.next() == FeePeriod(2020, 3) and period.prev() == FeePeriod(2020, 1)
    assert FeePeriod.parse("2019-12").next() == FeePeriod(2020, 1)
    assert FeePeriod.parse("2020-01").prev() == FeePeriod(2019, 12)
    assert period.first_day == dt.date(2020, 2, 1) and period.last_day == dt.date(2020, 2, 29)
    assert FeePeriod.parse("2021-02").last_day == dt.date(2021, 2, 28)
    assert FeePeriod.from_date(dt.date(2020, 6, 30)) == FeePeriod(2020, 6)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-3", "YYYY-MM"),
        ("202003", "YYYY-MM"),
        ("2020-03-01", "YYYY-MM"),
        (" 2020-03", "YYYY-MM"),
        ("2020-13", "01-12"),
        ("2020-00", "01-12"),
        ("1899-12", "year"),
    ],
)
def test_parse_errors_are_precise(text: str, expected: str) -> None:
    with pytest.raises(InvalidFeePeriod) as caught:
        FeePeriod.parse(text)
    assert expected in caught.value.en and caught.value.zh


def test_order_range_and_months_between() -> None:
    assert FeePeriod.parse("2019-12") < FeePeriod.parse("2020-01") < FeePeriod.parse("2020-02")
    window = FeePeriod.range("2020-02", "2020-12")
    assert len(window) == 11 and window[0] == FeePeriod(2020, 2) and window[-1] == FeePeriod(2020, 12)
    assert FeePeriod.range("2020-06", "2020-02") == ()
    assert months_between("2020-02", "2020-06") == 4 and months_between("2020-06", "2020-02") == -4
    assert FeePeriod.parse("2020-04").within(FeePeriod(2020, 2), None)
    assert not FeePeriod.parse("2020-07").within(FeePeriod(2020, 2), FeePeriod(2020, 6))


def test_periods_are_values() -> None:
    assert {FeePeriod.parse("2020-02"), FeePeriod(2020, 2)} == {FeePeriod(2020, 2)}
    with pytest.raises(AttributeError):
        FeePeriod(2020, 2).month = 3  # type: ignore[misc]


@given(st.integers(1920 * 12, 2900 * 12), st.integers(-240, 240))
def test_shift_and_text_round_trip(index: int, months: int) -> None:
    period = FeePeriod.from_index(index)
    assert FeePeriod.parse(str(period)) == period
    assert months_between(period, period.shift(months)) == months
    assert period.next().prev() == period
