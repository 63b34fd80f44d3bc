"""Amounts: ISO 20022 writes decimal yuan ("1234.56"), the platform counts integer fen (123456).

Conversion is exact (Decimal, never float). More than two decimals, signs, exponents, spaces and
grouping are refused: a bank amount the platform cannot represent to the fen is an error, not a
rounding.
"""

from __future__ import annotations

import re
from decimal import Decimal

CURRENCY = "CNY"
# ISO's ActiveCurrencyAndAmount allows 18 digits in all; with two decimals, 16 before the point.
_YUAN = re.compile(r"(0|[1-9][0-9]{0,15})(\.[0-9]{1,2})?")
MAX_FEN = 10**18 - 1


class AmountFormatError(ValueError):
    """An amount text or a fen value that is not a plain non-negative yuan amount."""


def yuan_to_fen(text: str) -> int:
    """``"1234.56" → 123456``, ``"7" → 700``, ``"0.5" → 50``; refuses ``"1.234"``, ``"-1"``, ``"1e3"``."""
    if not isinstance(text, str) or _YUAN.fullmatch(text) is None:
        raise AmountFormatError(f"amount {text!r} is not a plain yuan amount with at most 2 decimals")
    fen = Decimal(text).scaleb(2)
    if fen != fen.to_integral_value():  # cannot happen with the pattern above; kept as the exactness proof
        raise AmountFormatError(f"amount {text!r} is not a whole number of fen")
    return int(fen)


def fen_to_yuan(fen: int) -> str:
    """``123456 → "1234.56"``, ``5 → "0.05"``: always two decimals, no sign, no grouping."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise AmountFormatError(f"fen must be an int, got {type(fen).__name__}")
    if fen < 0 or fen > MAX_FEN:
        raise AmountFormatError(f"fen {fen} is outside 0..{MAX_FEN}")
    yuan, cents = divmod(fen, 100)
    return f"{yuan}.{cents:02d}"
