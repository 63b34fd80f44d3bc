"""滞纳金: the late fee on unpaid social-insurance contributions (社会保险法 第八十六条, DOMAIN.md §2.6).

Simple interest: unpaid × daily rate (0.05 %, 万分之五) × days late, rounded once to the fen. Days
late run from the day after the due date to the day paid, both inclusive (due 2020-03-25, paid
2020-03-26: 1 day), minus every day inside an approved deferral (缓缴). The cap at the principal
is a per-province switch, default off (the late-fee policy's ``cap_at_principal``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from refdata.money import parse_rate
from relief_calc.domain.errors import InvalidRequest

__all__ = ["DAILY_RATE", "late_fee_days", "late_fee_fen"]

DAILY_RATE = Decimal("0.0005")


def _day(value: object, name: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidRequest(f"{name}必须是日期", f"{name} must be a date (not a time), got {value!r}", field=name)
    return value


def late_fee_days(due_date: date, paid_date: date, deferral_periods: Iterable[tuple[date, date]] = ()) -> int:
    """Days late: after ``due_date`` up to and including ``paid_date``, outside every deferral window
    (each ``(first_day, last_day)``, inclusive; overlapping windows count once)."""
    due, paid = _day(due_date, "due_date"), _day(paid_date, "paid_date")
    if paid <= due:
        return 0
    start = due + timedelta(days=1)
    windows = []
    for first, last in deferral_periods:
        first, last = _day(first, "deferral first day"), _day(last, "deferral last day")
        if last < first:
            raise InvalidRequest(
                f"缓缴期{first}至{last}的结束早于开始",
                f"deferral window {first}..{last} ends before it starts",
                field="deferral_periods",
            )
        lo, hi = max(first, start), min(last, paid)
        if lo <= hi:
            windows.append((lo, hi))
    deferred = 0
    covered_until = start - timedelta(days=1)
    for lo, hi in sorted(windows):
        lo = max(lo, covered_until + timedelta(days=1))
        if lo <= hi:
            deferred += (hi - lo).days + 1
            covered_until = hi
    return (paid - due).days - deferred


def late_fee_fen(
    unpaid_fen: int,
    due_date: date,
    paid_date: date,
    deferral_periods: Iterable[tuple[date, date]] = (),
    cap_at_principal: bool = False,
    *,
    daily_rate: Decimal | str = DAILY_RATE,
    rounding: str = ROUND_HALF_UP,
) -> int:
    """The late fee in fen on ``unpaid_fen`` due on ``due_date`` and paid on ``paid_date``.

    ``paid_date`` is the day of payment, or the day to compute up to for a debt still unpaid.
    ``late_fee_fen(100000, date(2020, 3, 25), date(2020, 4, 4)) == 500`` (10 days × 0.05 % × 1,000 元).
    """
    if isinstance(unpaid_fen, bool) or not isinstance(unpaid_fen, int) or unpaid_fen < 0:
        raise InvalidRequest(
            f"欠缴金额必须是非负整数（分），实际为{unpaid_fen!r}",
            f"unpaid_fen must be a non-negative integer number of fen, got {unpaid_fen!r}",
            field="unpaid_fen",
        )
    rate = daily_rate if isinstance(daily_rate, Decimal) else parse_rate(daily_rate)
    days = late_fee_days(due_date, paid_date, deferral_periods)
    fee = int((Decimal(unpaid_fen) * rate * days).quantize(Decimal(1), rounding=rounding))
    return min(fee, unpaid_fen) if cap_at_principal else fee
