"""滞纳金: the late fee on unpaid social-insurance contributions (社会保险法 第八十六条, DOMAIN.md §2.6).

Simple interest: unpaid × daily rate (0.05 %, 万分之五) × days late, rounded once to the fen. Days
late run from the day after the due date to the day paid, both inclusive (due 2020-03-25, paid
2020-03-26: 1 day), minus every day inside an approved deferral (缓缴). The cap at the principal
is a per-province switch, default off (the late-fee policy's ``cap_at_principal``).

With payments along the way the base changes from day to day: ``overdue_runs`` gives the amount
overdue on each day late (owed minus what was settled before that day, between nothing and the
amount owed), in runs of equal amount, and ``accrued_fee_fen`` charges the daily rate on every
day's amount, rounded once over the whole (Σ overdue × days × rate, half-up by default). An entry
counts from the day after its day, the rule above: the day of payment is still a day late, so paying on the due date costs
nothing and paying all one day late costs exactly one day. With nothing settled this is
``late_fee_fen`` to the fen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from refdata.money import parse_rate
from relief_calc.domain.errors import InvalidRequest

__all__ = ["DAILY_RATE", "Overdue", "accrued_fee_fen", "late_fee_days", "late_fee_fen", "overdue_runs"]

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


def _fen(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRequest(
            f"{name}必须是非负整数（分），实际为{value!r}",
            f"{name} must be a non-negative integer number of fen, got {value!r}",
            field=name,
        )
    return value


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
    _fen(unpaid_fen, "unpaid_fen")
    rate = daily_rate if isinstance(daily_rate, Decimal) else parse_rate(daily_rate)
    days = late_fee_days(due_date, paid_date, deferral_periods)
    fee = int((Decimal(unpaid_fen) * rate * days).quantize(Decimal(1), rounding=rounding))
    return min(fee, unpaid_fen) if cap_at_principal else fee


@dataclass(frozen=True)
class Overdue:
    """``overdue_fen`` was overdue on each day ``first`` … ``last`` (inclusive)."""

    first: date
    last: date
    overdue_fen: int

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def overdue_runs(owed_fen: int, due_date: date, on: date, settled: Iterable[tuple[date, int]] = ()) -> list[Overdue]:
    """The amount overdue on each day from the day after ``due_date`` up to and including ``on``,
    in runs of equal amount; days with nothing overdue are left out. The amount is never negative
    (paid beyond what is owed) nor above the amount owed (more re-opened than was ever paid). ``settled``: ``(day, fen)``
    entries (positive paid, negative re-opened), each counting from the day after ``day``."""
    owed = _fen(owed_fen, "owed_fen")
    due, last = _day(due_date, "due_date"), _day(on, "on")
    if last <= due:
        return []
    start = due + timedelta(days=1)
    paid = 0
    changes: dict[date, int] = {}
    for day, fen in settled:
        if isinstance(fen, bool) or not isinstance(fen, int):
            raise InvalidRequest(
                f"金额必须是整数（分），实际为{fen!r}", f"amounts must be integer fen, got {fen!r}", field="settled"
            )
        effective = _day(day, "settled day") + timedelta(days=1)
        if effective <= start:
            paid += fen
        elif effective <= last:
            changes[effective] = changes.get(effective, 0) + fen
    runs: list[Overdue] = []
    cursor = start
    for effective in [*sorted(changes), last + timedelta(days=1)]:
        amount = min(max(owed - paid, 0), owed)
        if amount and runs and runs[-1].overdue_fen == amount and runs[-1].last + timedelta(days=1) == cursor:
            runs[-1] = Overdue(runs[-1].first, effective - timedelta(days=1), amount)
        elif amount:
            runs.append(Overdue(cursor, effective - timedelta(days=1), amount))
        paid += changes.get(effective, 0)
        cursor = effective
    return runs


def accrued_fee_fen(
    runs: Iterable[Overdue],
    *,
    daily_rate: Decimal | str = DAILY_RATE,
    rounding: str = ROUND_HALF_UP,
    cap_at_principal: bool = False,
) -> int:
    """The late fee on ``runs``: the daily rate on every day's overdue amount, rounded once; capped,
    where the province says so, at the largest amount that was overdue."""
    rate = daily_rate if isinstance(daily_rate, Decimal) else parse_rate(daily_rate)
    runs = list(runs)
    fen_days = sum(r.overdue_fen * r.days for r in runs)
    fee = int((Decimal(fen_days) * rate).quantize(Decimal(1), rounding=rounding))
    return min(fee, max((r.overdue_fen for r in runs), default=0)) if cap_at_principal else fee
