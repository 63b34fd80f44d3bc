"""Background workers of a service (the assessor, the bank worker, the webhook deliverer): rounds of
work until stopped, resting when a round found nothing to do and backing off after a failure."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from eventkit.db import is_transient

log = logging.getLogger(__name__)


async def run_rounds(
    one_round: Callable[[], Awaitable[int]], stop: asyncio.Event, *, idle_s: float, name: str, max_backoff_s: float = 10.0
) -> None:
    """Call `one_round` (it returns how much it did) until `stop` is set. After an empty round, wait
    `idle_s` (or until stopped); after a failure, wait doubling from `idle_s` up to `max_backoff_s`
    (a transient fault is logged as a warning, anything else with its traceback)."""
    delay = idle_s
    while not stop.is_set():
        try:
            done = await one_round()
            delay = idle_s
        except Exception as exc:
            if is_transient(exc):
                log.warning("%s: transient fault (%s); retrying in %.1fs", name, exc, delay)
            else:
                log.exception("%s: round failed; retrying in %.1fs", name, delay)
            done = 0
            delay = min(delay * 2, max_backoff_s)
        if done == 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
