"""Amounts as the report forms print them, from integer fen, with integer/Decimal arithmetic only.

* 元 (yuan): two decimals, exact (``fen_to_yuan_str``: 123456 → ``1234.56``).
* 万元 (ten thousand yuan): the medical statistics form (职工医保阶段性减征医保费统计表) asks for 万元.
  We print **four decimals** (1 万元 = 1,000,000 fen, so the fourth decimal is one yuan), rounded
  half-up at the yuan, sign kept: 1,234,567,890 fen → ``1234.5679``. The JSON answers always carry
  the exact fen beside the printed figure.
* Rates (``0.07``) print as percentages (``7%``, ``3.5%``); a change between months as a signed
  percentage with two decimals, or ``—`` when the earlier month is zero.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from refdata.money import fen_to_yuan_str

FEN_PER_WAN_YUAN = 1_000_000
WAN_YUAN_DECIMALS = 4
NOT_APPLICABLE = "—"


def yuan(fen: int) -> str:
    """``123456 → '1234.56'`` (元, two decimals)."""
    return fen_to_yuan_str(fen)


def wan_yuan(fen: int, decimals: int = WAN_YUAN_DECIMALS) -> str:
    """Fen as 万元 with `decimals` places, half-up (away from zero for negatives): ``wan_yuan(1_234_567_890) == '1234.5679'``."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"fen must be an int, not {type(fen).__name__}")
    if not 0 <= decimals <= 6:
        raise ValueError("万元 has at most six decimals (one fen)")
    quantum = Decimal(1).scaleb(-decimals)
    value = (Decimal(abs(fen)) / FEN_PER_WAN_YUAN).quantize(quantum, rounding=ROUND_HALF_UP)
    return f"-{value}" if fen < 0 and value != 0 else f"{value}"


def percent(rate: str | Decimal | None) -> str:
    """A rate as a percentage without trailing zeros: ``'0.07' → '7%'``, ``'0.035' → '3.5%'``."""
    if rate is None or rate == "":
        return NOT_APPLICABLE
    value = (Decimal(rate) * 100).normalize()
    text = format(value, "f")
    return f"{text}%"


def change_percent(current: int, previous: int) -> str:
    """Month-on-month change (环比) as a signed percentage, two decimals, half-up: ``(110, 100) → '+10.00%'``."""
    if previous == 0:
        return NOT_APPLICABLE
    value = (Decimal(current - previous) * 100 / Decimal(abs(previous))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"+{value}%" if value > 0 else f"{value}%"


def halved_rate(rate: str) -> str:
    """Half a rate, exact: ``'0.07' → '0.035'``."""
    return format((Decimal(rate) / 2).normalize(), "f")
