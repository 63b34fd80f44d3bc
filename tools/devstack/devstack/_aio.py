"""Running a coroutine to completion from synchronous code."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` with ``asyncio.run``; if the calling thread already runs an event loop
    (e.g. a sync method called from a pytest-asyncio test), run it in a worker thread with its
    own loop instead of failing. Blocks the caller either way."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
