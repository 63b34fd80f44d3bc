"""The outbox relay: publishes committed events to Kafka, in order, at least once.

Why it cannot skip or reorder:
- It selects what is still *in the outbox*, oldest position first, rather than tailing the event
  table by position. Positions are handed out at insert time but transactions commit in any
  order, so a tailer that remembered "published up to 41" would skip a 40 that committed late.
  An outbox row that commits late is simply picked up on the next round.
- Events of one stream are committed in version order (optimistic concurrency makes version n+1
  wait for n), so they enter the outbox in position order; the relay sends each batch in
  position order through one idempotent producer (`acks=all`), which keeps per-partition order
  across its own retries, and awaits every acknowledgement before deleting the rows.
- A crash between Kafka's acknowledgement and the delete re-sends those rows after restart:
  duplicates on the wire, never a loss. Consumers drop duplicates by event id.
- On PostgreSQL a transaction-scoped advisory lock makes one relay of a service publish at a
  time, so several replicas of a service never interleave a stream's events.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eventkit.db import is_transient
from eventkit.metrics import EVENTS_PUBLISHED, OUTBOX_BACKLOG, TRANSIENT_RETRIES
from eventkit.schema import KernelTables

log = logging.getLogger(__name__)

# An arbitrary 64-bit key for pg_try_advisory_xact_lock, the same in every service (each service
# has its own database, so the lock only excludes replicas of one service).
_RELAY_LOCK_KEY = 0x52454C4945465F31


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        sessions: async_sessionmaker[AsyncSession],
        tables: KernelTables,
        producer: AIOKafkaProducer,
        wakeup: asyncio.Event | None = None,
        batch_size: int = 1000,
        idle_poll_s: float = 0.2,
    ) -> None:
        self.service = service
        self.sessions = sessions
        self.tables = tables
        self.producer = producer
        self.wakeup = wakeup or asyncio.Event()
        self.batch_size = batch_size
        self.idle_poll_s = idle_poll_s
        self.published = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; transient faults are retried with back-off."""
        delay = 0.1
        while not stop.is_set():
            try:
                n = await self.publish_batch()
                delay = 0.1
            except Exception as exc:
                if not is_transient(exc):
                    log.exception("outbox relay failed; retrying", extra={"service": self.service})
                else:
                    log.warning("outbox relay transient fault: %s; retrying in %.1fs", exc, delay)
                TRANSIENT_RETRIES.labels(self.service, "relay").inc()
                await _sleep_or_stop(stop, delay)
                delay = min(delay * 2, 5.0)
                continue
            if n == 0:
                self.wakeup.clear()
                await self.refresh_backlog()
                await _wait_any(stop, self.wakeup, self.idle_poll_s)

    async def publish_batch(self) -> int:
        """Publish the oldest outbox rows; returns how many were acknowledged and removed."""
        t = self.tables.outbox
        async with self.sessions() as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                locked = await session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(_RELAY_LOCK_KEY)))
                if not locked:
                    return 0
            rows = (await session.execute(sa.select(t).order_by(t.c.position).limit(self.batch_size))).all()
            if not rows:
                return 0
            futures = []
            for row in rows:
                futures.append(
                    await self.producer.send(
                        row.topic,
                        value=bytes(row.value),
                        key=row.key.encode(),
                        headers=[(k, v.encode()) for k, v in row.headers],
                    )
                )
            await asyncio.gather(*futures)
            await session.execute(sa.delete(t).where(t.c.position.in_([r.position for r in rows])))
        counts: dict[str, int] = {}
        for row in rows:
            counts[row.topic] = counts.get(row.topic, 0) + 1
        for topic, n in counts.items():
            EVENTS_PUBLISHED.labels(self.service, topic).inc(n)
        self.published += len(rows)
        return len(rows)

    async def backlog(self) -> int:
        async with self.sessions() as session:
            return await outbox_backlog(session, self.tables)

    async def refresh_backlog(self) -> None:
        OUTBOX_BACKLOG.labels(self.service).set(await self.backlog())

    async def drain(self, timeout_s: float = 60) -> None:
        """Publish until the outbox is empty (used by tools and tests)."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while await self.publish_batch() or await self.backlog():
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("outbox not drained in time")


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


async def _wait_any(stop: asyncio.Event, other: asyncio.Event, seconds: float) -> None:
    waiters: list[asyncio.Task[Any]] = [asyncio.create_task(stop.wait()), asyncio.create_task(other.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()


async def outbox_backlog(session: AsyncSession, tables: KernelTables) -> int:
    """Committed events not yet acknowledged by Kafka (the rows of the outbox)."""
    return int(await session.scalar(sa.select(sa.func.count()).select_from(tables.outbox)) or 0)
