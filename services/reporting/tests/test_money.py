"""Amounts as the forms print them: 元 with two decimals, 万元 with four (half-up at the yuan),
rates as percentages, 环比 as a signed percentage; integer and Decimal arithmetic only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reporting.domain.money import change_percent, halved_rate, percent, wan_yuan, yuan


@pytest.mark.parametrize(
    ("fen", "printed"),
    [(0, "0.00"), (1, "0.01"), (123456, "1234.56"), (-5, "-0.05"), (10**15 + 7, "10000000000000.07")],
)
def test_yuan_has_two_decimals_exactly(fen: int, printed: str) -> None:
    assert yuan(fen) == printed


@pytest.mark.parametrize(
    ("fen", "printed"),
    [
        (0, "0.0000"),
        (1_000_000, "1.0000"),  # 1 万元
        (1_234_567_890, "1234.5679"),  # 12,345,678.90 元 → half-up at the yuan
        (175_000, "0.1750"),
        (49, "0.0000"),  # 0.49 元
        (50, "0.0001"),  # 0.50 元 rounds up to one yuan
        (-50, "-0.0001"),
        (-49, "0.0000"),  # no "-0.0000"
    ],
)
def test_wan_yuan_has_four_decimals_half_up(fen: int, printed: str) -> None:
    assert wan_yuan(fen) == printed


def test_wan_yuan_takes_fen_only() -> None:
    with pytest.raises(TypeError):
        wan_yuan(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        wan_yuan(True)


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_wan_yuan_is_within_half_a_yuan_and_yuan_round_trips(fen: int) -> None:
    printed = Decimal(wan_yuan(fen))
    assert abs(printed * 1_000_000 - fen) <= 50
    assert Decimal(yuan(fen)) * 100 == fen
    assert wan_yuan(fen, 6) == str(Decimal(fen).scaleb(-6).quantize(Decimal("0.000001")))


@pytest.mark.parametrize(
    ("rate", "printed"), [("0.07", "7%"), ("0.035", "3.5%"), ("0.16", "16%"), ("0.005", "0.5%"), (None, "—")]
)
def test_rates_print_as_percentages(rate: str | None, printed: str) -> None:
    assert percent(rate) == printed


def test_half_a_rate_is_exact() -> None:
    assert halved_rate("0.07") == "0.035" and halved_rate("0.08") == "0.04"


@pytest.mark.parametrize(
    ("current", "previous", "printed"),
    [
        (110, 100, "+10.00%"),
        (90, 100, "-10.00%"),
        (100, 100, "0.00%"),
        (1, 3, "-66.67%"),
        (2, 3, "-33.33%"),
        (5, 0, "—"),
        (-50, -100, "+50.00%"),
    ],
)
def test_month_on_month_change(current: int, previous: int, printed: str) -> None:
    assert change_percent(current, previous) == printed
