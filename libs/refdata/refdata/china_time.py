"""The bureau's calendar day of a moment: days (due dates, offsets, reversals) are China time.

An event records when it happened as an aware UTC instant (the CloudEvents ``time``); the day a
payer's money moved, for late fees and statements, is that instant's date in ``Asia/Shanghai``
(UTC+8, no daylight saving since 1991): 2020-06-04T16:30Z is already 2020-06-05 in China.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from refdata.errors import RefdataError

__all__ = ["CHINA", "china_day"]

CHINA = ZoneInfo("Asia/Shanghai")


def china_day(moment: datetime) -> date:
    """The calendar day of ``moment`` in China; a naive time is refused (it names no instant)."""
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise RefdataError(f"时间{moment!r}缺少时区", f"time {moment!r} must be timezone-aware")
    return moment.astimezone(CHINA).date()
