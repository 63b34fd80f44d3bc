"""Waiting in tests for what a log-driven system does eventually: poll until a probe answers
something truthy, and fail the test, naming what never came, when the deadline passes. Never a
fixed sleep: the wait ends as soon as the outcome is there."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any


def eventually(probe: Callable[[], Any], what: str, timeout_s: float = 90, interval_s: float = 0.3) -> Any:
    """`probe()`'s first truthy answer (synchronous probes: HTTP calls to service processes)."""
    deadline = time.monotonic() + timeout_s
    while not (value := probe()):
        assert time.monotonic() < deadline, f"not reached in {timeout_s}s: {what}"
        time.sleep(interval_s)
    return value


async def eventually_async(check: Callable[[], Awaitable[Any]], what: str, timeout_s: float = 60, interval_s: float = 0.2) -> Any:
    """`await check()`'s first truthy answer (probes of an app running in the test's event loop)."""
    deadline = time.monotonic() + timeout_s
    while not (value := await check()):
        assert time.monotonic() < deadline, f"not reached in {timeout_s}s: {what}"
        await asyncio.sleep(interval_s)
    return value
