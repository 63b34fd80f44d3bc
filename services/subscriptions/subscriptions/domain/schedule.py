"""When a failed delivery is tried again: a configurable schedule of waits, for about three days.

The default follows the Standard Webhooks recommendation: 5 s, 5 min, 30 min, 2 h, 5 h, then every
10 h, the last attempt a little over three days after the first. After the schedule is spent the
delivery is marked failed (kept in the log; a replay can send the event again).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

DEFAULT_SCHEDULE_S: tuple[float, ...] = (5, 300, 1800, 7200, 18000, *(36000,) * 7)


def next_attempt(schedule: Sequence[float], failed_attempts: int, now: datetime) -> datetime | None:
    """When to try after the `failed_attempts`-th failure; None when the schedule is spent."""
    if failed_attempts < 1 or failed_attempts > len(schedule):
        return None
    return now + timedelta(seconds=schedule[failed_attempts - 1])
