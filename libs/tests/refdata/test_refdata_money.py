"""Money in fen, rates as Decimal, rounding at the half-fen boundary."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refdata.errors import InvalidAmount
from refdata.money import contribution_fen, fen_to_yuan_str, halve_fen, parse_rate, yuan_str_to_fen


def test_half_fen_boundary_rounds_half_up_both_ways() -> None:
    assert contribution_fen(1003, Decimal("0.005")) == 5  # 5.015 → 5
    assert contribution_fen(1010, Decimal("0.005")) == 5  # 5.05 → 5
    assert contribution_fen(1100, Decimal("0.005")) == 6  # 5.5 → 6 (half up)
    assert contribution_fen(1099, Decimal("0.005")) == 5  # 5.495 → 5
    assert contribution_fen(300, Decimal("0.005")) == 2  # 1.5 → 2
    assert contribution_fen(100, Decimal("0.005")) == 1  # 0.5 → 1
    assert contribution_fen(99, Decimal("0.005")) == 0  # 0.495 → 0


def test_other_rounding_modes() -> None:
    assert contribution_fen(300, Decimal("0.005"), ROUND_HALF_EVEN) == 2
    assert contribution_fen(500, Decimal("0.005"), ROUND_HALF_EVEN) == 2  # 2.5 → 2
    assert contribution_fen(399, Decimal("0.005"), ROUND_DOWN) == 1  # 1.995 → 1
    with pytest.raises(InvalidAmount):
        contribution_fen(100, Decimal("0.005"), "HALF_UP")


def test_a_typical_contribution() -> None:
    # 南通 2020: base 3867.00 元 × 16 % = 618.72 元
    assert contribution_fen(386700, Decimal("0.16")) == 61872


def test_halving() -> None:
    assert halve_fen(61872) == 30936
    assert halve_fen(5) == 3 and halve_fen(1) == 1 and halve_fen(0) == 0
    assert halve_fen(5, ROUND_HALF_EVEN) == 2 and halve_fen(7, ROUND_HALF_EVEN) == 4


@given(st.integers(0, 10**12))
def test_halves_add_up_to_at_most_one_fen_over(amount: int) -> None:
    half = halve_fen(amount)
    assert 0 <= 2 * half - amount <= 1


@given(st.integers(0, 10**9), st.decimals(min_value=0, max_value=1, places=4))
def test_contribution_is_within_half_a_fen_of_the_exact_product(base: int, rate: Decimal) -> None:
    assert abs(Decimal(contribution_fen(base, rate)) - base * rate) <= Decimal("0.5")


def test_inputs_are_refused_precisely() -> None:
    with pytest.raises(InvalidAmount, match="Decimal"):
        contribution_fen(100, 0.16)  # type: ignore[arg-type]
    with pytest.raises(InvalidAmount, match="integer number of fen"):
        contribution_fen(100.0, Decimal("0.16"))  # type: ignore[arg-type]
    with pytest.raises(InvalidAmount, match="integer number of fen"):
        contribution_fen(True, Decimal("0.16"))
    with pytest.raises(InvalidAmount, match="negative"):
        contribution_fen(-1, Decimal("0.16"))
    with pytest.raises(InvalidAmount, match="between 0 and 1"):
        contribution_fen(100, Decimal("1.5"))


def test_yuan_strings() -> None:
    assert fen_to_yuan_str(123456) == "1234.56"
    assert fen_to_yuan_str(5) == "0.05" and fen_to_yuan_str(0) == "0.00" and fen_to_yuan_str(-5) == "-0.05"
    assert yuan_str_to_fen("1234.56") == 123456 and yuan_str_to_fen("3") == 300 and yuan_str_to_fen("0.5") == 50
    for bad in ("1,234.56", "1.234", "1e3", "", "¥1"):
        with pytest.raises(InvalidAmount):
            yuan_str_to_fen(bad)


@given(st.integers(-(10**12), 10**12))
def test_yuan_round_trip(fen: int) -> None:
    assert yuan_str_to_fen(fen_to_yuan_str(fen)) == fen


def test_parse_rate_accepts_plain_decimals_only() -> None:
    assert parse_rate("0.16") == Decimal("0.16") and parse_rate("0") == 0 and parse_rate("1") == 1
    assert parse_rate("0.005") == Decimal("0.005")
    for bad in ("1.6e-1", "16%", "-0.1", "+0.1", " 0.16", ".5", "NaN", "Infinity", "1.5", "0,16", "0.16 "):
        with pytest.raises(InvalidAmount) as caught:
            parse_rate(bad)
        assert caught.value.zh and caught.value.en
    with pytest.raises(InvalidAmount):
        parse_rate(0.16)  # type: ignore[arg-type]
