from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iso20022.amounts import MAX_FEN, AmountFormatError, fen_to_yuan, yuan_to_fen


@pytest.mark.parametrize(
    ("text", "fen"),
    [("1234.56", 123456), ("0.05", 5), ("0.5", 50), ("7", 700), ("0", 0), ("9999999999999999.99", MAX_FEN), ("0.10", 10)],
)
def test_yuan_to_fen_is_exact(text: str, fen: int) -> None:
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize(
    "text",
    [
        "1.234",
        "1.001",
        "-1.00",
        "+1.00",
        "1e3",
        "1,000.00",
        " 1.00",
        "1.00 ",
        "",
        ".5",
        "5.",
        "01.00",
        "NaN",
        "Infinity",
        "１.00",
        "10000000000000000.00",
    ],
)
def test_yuan_to_fen_refuses(text: str) -> None:
    with pytest.raises(AmountFormatError):
        yuan_to_fen(text)


def test_fen_to_yuan_refuses_floats_negatives_and_bools() -> None:
    for bad in (1.5, -1, True, "100", MAX_FEN + 1):
        with pytest.raises(AmountFormatError):
            fen_to_yuan(bad)  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=MAX_FEN))
def test_round_trip(fen: int) -> None:
    text = fen_to_yuan(fen)
    assert yuan_to_fen(text) == fen
    assert text.count(".") == 1 and len(text.split(".")[1]) == 2
