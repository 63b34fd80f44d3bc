"""The command layer's one rule: decide on fresh state, and decide again after a conflict.

`retrying` runs a command in its own transaction; when the append finds the stream moved on
(ConcurrencyError) the transaction is rolled back and the command runs again on reloaded state,
a bounded number of times with jitter. Any other error propagates unchanged.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eventkit.errors import ConcurrencyError

log = logging.getLogger(__name__)
T = TypeVar("T")


async def retrying(
    sessions: async_sessionmaker[AsyncSession],
    command: Callable[[AsyncSession], Awaitable[T]],
    *,
    attempts: int = 5,
    base_delay_s: float = 0.01,
) -> T:
    for attempt in range(1, attempts + 1):
        try:
            async with sessions() as session, session.begin():
                return await command(session)
        except ConcurrencyError as exc:
            if attempt == attempts:
                raise
            log.info("concurrency conflict (%s), attempt %d of %d; deciding again", exc, attempt, attempts)
            await asyncio.sleep(base_delay_s * attempt * (1 + random.random()))
    raise AssertionError("unreachable")
