"""Money: integer fen (分) and Decimal rates; never floats.

Contribution = base × rate rounded to the fen (half-up unless the region says otherwise);
a halved employer part = the original amount × ½, rounded the same way (DOMAIN.md §4).
"""

from __future__ import annotations

import decimal
import re
from decimal import ROUND_HALF_UP, Decimal

from refdata.errors import InvalidAmount

ROUNDING_MODES = frozenset(
    {
        decimal.ROUND_UP,
        decimal.ROUND_DOWN,
        decimal.ROUND_CEILING,
        decimal.ROUND_FLOOR,
        decimal.ROUND_HALF_UP,
        decimal.ROUND_HALF_DOWN,
        decimal.ROUND_HALF_EVEN,
        decimal.ROUND_05UP,
    }
)
_ONE = Decimal(1)
_PLAIN_DECIMAL = re.compile(r"\d+(\.\d+)?")
_YUAN = re.compile(r"-?\d+(\.\d{1,2})?")
# Enough precision that base × rate is exact before the single rounding to the fen.
_CONTEXT = decimal.Context(prec=60, rounding=ROUND_HALF_UP, traps=[decimal.InvalidOperation, decimal.Inexact])


def contribution_fen(base_fen: int, rate: Decimal, rounding: str = ROUND_HALF_UP) -> int:
    """``base_fen × rate`` rounded once to the fen: ``contribution_fen(1003, Decimal('0.005')) == 5``."""
    _check_fen(base_fen, "base_fen", allow_negative=False)
    _check_rate(rate)
    _check_rounding(rounding)
    product = _CONTEXT.multiply(Decimal(base_fen), rate)
    return int(product.quantize(_ONE, rounding=rounding))


def halve_fen(amount_fen: int, rounding: str = ROUND_HALF_UP) -> int:
    """Half of ``amount_fen`` rounded to the fen (减半征收): ``halve_fen(5) == 3`` half-up."""
    _check_fen(amount_fen, "amount_fen", allow_negative=False)
    _check_rounding(rounding)
    return int((Decimal(amount_fen) / 2).quantize(_ONE, rounding=rounding))


def fen_to_yuan_str(fen: int) -> str:
    """``123456 → '1234.56'``, ``-5 → '-0.05'``: exact, two decimals, no grouping."""
    _check_fen(fen, "fen", allow_negative=True)
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan}.{cents:02d}"


def yuan_str_to_fen(text: str) -> int:
    """``'1234.56' → 123456``; at most two decimals, no grouping, no exponent."""
    if not isinstance(text, str) or _YUAN.fullmatch(text) is None:
        raise InvalidAmount(
            f"金额“{text}”不是以元为单位、最多两位小数的数字",
            f"amount {text!r} is not a plain yuan amount with at most 2 decimals",
        )
    negative = text.startswith("-")
    whole, _, frac = text.lstrip("-").partition(".")
    fen = int(whole) * 100 + int(frac.ljust(2, "0") or "0")
    return -fen if negative else fen


def parse_rate(text: str) -> Decimal:
    """Parse a rate written as a plain decimal fraction, ``'0.16'`` for 16 %.

    Refused: exponents (``'1.6e-1'``), percent signs, signs, spaces, NaN/Infinity, a missing
    leading digit (``'.5'``), and values above 1.
    """
    if not isinstance(text, str):
        raise InvalidAmount(
            f'费率必须写成字符串（如"0.16"），实际为{type(text).__name__}',
            f"rate must be a string such as '0.16', got {type(text).__name__}",
        )
    if _PLAIN_DECIMAL.fullmatch(text) is None:
        raise InvalidAmount(
            f"费率“{text}”不是普通小数（应写成如0.16，不带百分号、正负号或指数）",
            f"rate {text!r} is not a plain decimal such as 0.16 (no percent sign, sign or exponent)",
        )
    rate = Decimal(text)
    if rate > _ONE:
        raise InvalidAmount(f"费率“{text}”大于1", f"rate {text} is greater than 1")
    return rate


def _check_fen(value: int, name: str, *, allow_negative: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAmount(
            f"{name}必须是以分为单位的整数，实际为{type(value).__name__}",
            f"{name} must be an integer number of fen, got {type(value).__name__}",
        )
    if value < 0 and not allow_negative:
        raise InvalidAmount(f"{name}不得为负数：{value}", f"{name} must not be negative, got {value}")


def _check_rate(rate: Decimal) -> None:
    if not isinstance(rate, Decimal):
        raise InvalidAmount(
            f"费率必须是Decimal，实际为{type(rate).__name__}", f"rate must be a Decimal, got {type(rate).__name__}"
        )
    if not rate.is_finite() or rate < 0 or rate > _ONE:
        raise InvalidAmount(f"费率应在0至1之间，实际为{rate}", f"rate must be between 0 and 1, got {rate}")


def _check_rounding(rounding: str) -> None:
    if rounding not in ROUNDING_MODES:
        raise InvalidAmount(f"舍入方式“{rounding}”不存在", f"rounding mode {rounding!r} is not a decimal rounding mode")
