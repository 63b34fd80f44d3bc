"""Applying a batch of one partition's records: effectively once.

One database transaction per batch holds: the handler's changes (projection rows, appended
events and their outbox rows), the ids of the events applied, and the partition's next offset.
So after any crash either all of it is there or none of it, and the consumer resumes at the
stored offset.

Fencing: the offset row is read `FOR UPDATE` first (SQLite: the `BEGIN IMMEDIATE` write lock),
and records below the stored offset are dropped. Two members of a group that both hold a
partition during a rebalance therefore serialise on that row, and the second applies nothing the
first already applied. Event ids are de-duplicated too, for copies on the wire (a relay that
crashed after Kafka acknowledged and before it deleted its outbox rows re-sends them).

Fast path and careful path: a batch first runs without savepoints. If a handler raises a
non-transient error the whole transaction is rolled back and the batch re-runs with a savepoint
per record, so only the poison record is dead-lettered and the rest apply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from aiokafka.structs import TopicPartition
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eventkit import context
from eventkit.db import is_transient, upsert_insert
from eventkit.deadletter import DeadLetters
from eventkit.envelope import Envelope
from eventkit.errors import MalformedEvent, UnknownEventType
from eventkit.events import EventRegistry, Message, parse_type
from eventkit.metrics import EVENTS_CONSUMED, EVENTS_DUPLICATE, EVENTS_IGNORED
from eventkit.schema import KernelTables

Handler = Callable[[AsyncSession, Message], Awaitable[None]]
FROM_BEGINNING = -1


@dataclass(frozen=True)
class Subscription:
    """A consumer group: the topics it reads and the handler that applies each event."""

    group: str
    topics: tuple[str, ...]
    handler: Handler
    registry: EventRegistry
    # Tolerant reader: name prefixes (e.g. "declaration.") of other services' events this group
    # does not need. An event under such a prefix whose name the registry does not know is
    # skipped (counted, offset advanced); a known name at an unknown version is still
    # dead-lettered, and so is any unknown name outside these prefixes.
    ignore: tuple[str, ...] = ()

    def ignores(self, ce_type: str) -> bool:
        try:
            name, _version = parse_type(ce_type)
        except UnknownEventType:
            return False
        return name not in self.registry and name.startswith(self.ignore)


class OffsetGap(Exception):
    """A batch starts beyond the partition's stored next offset: nothing was applied; the
    consumer must seek back to `stored`."""

    def __init__(self, tp: TopicPartition, stored: int, first: int) -> None:
        super().__init__(f"{tp.topic}[{tp.partition}]: batch starts at {first}, stored offset is {stored}")
        self.tp = tp
        self.stored = stored
        self.first = first


class _Poison(Exception):
    def __init__(self, index: int, exc: BaseException) -> None:
        super().__init__(str(exc))
        self.index = index
        self.exc = exc


class PartitionProcessor:
    def __init__(
        self,
        *,
        service: str,
        sessions: async_sessionmaker[AsyncSession],
        tables: KernelTables,
        subscription: Subscription,
        dead_letters: DeadLetters,
    ) -> None:
        self.service = service
        self.sessions = sessions
        self.tables = tables
        self.sub = subscription
        self.dead_letters = dead_letters

    async def stored_offsets(
        self, partitions: Sequence[TopicPartition], *, floors: Mapping[TopicPartition, int] | None = None
    ) -> dict[TopicPartition, int]:
        """Every partition's next offset. A partition the group has never read starts at its floor
        (the log start offset), which is stored so that the gap check below has a reference."""
        t = self.tables.consumer_offsets
        floors = floors or {}
        async with self.sessions() as session, session.begin():
            await self._ensure_offset_rows(session, partitions)
            for tp, floor in floors.items():
                await session.execute(
                    sa.update(t)
                    .where(
                        t.c.consumer_group == self.sub.group,
                        t.c.topic == tp.topic,
                        t.c.partition == tp.partition,
                        t.c.next_offset == FROM_BEGINNING,
                    )
                    .values(next_offset=floor, updated_at=datetime.now(UTC))
                )
            rows = (
                await session.execute(
                    sa.select(t.c.topic, t.c.partition, t.c.next_offset).where(t.c.consumer_group == self.sub.group)
                )
            ).all()
        wanted = set(partitions)
        return {
            TopicPartition(r.topic, r.partition): int(r.next_offset)
            for r in rows
            if TopicPartition(r.topic, r.partition) in wanted
        }

    async def _ensure_offset_rows(self, session: AsyncSession, partitions: Sequence[TopicPartition]) -> None:
        t = self.tables.consumer_offsets
        now = datetime.now(UTC)
        for tp in partitions:
            await session.execute(
                upsert_insert(session, t)
                .values(
                    consumer_group=self.sub.group,
                    topic=tp.topic,
                    partition=tp.partition,
                    next_offset=FROM_BEGINNING,
                    updated_at=now,
                )
                .on_conflict_do_nothing()
            )

    async def process(self, tp: TopicPartition, records: Sequence[Any]) -> int:
        """Apply `records` (consecutive, of partition `tp`); returns the partition's next offset.
        Raises only transient errors (the caller retries the same records)."""
        try:
            return await self._run(tp, records, careful=False)
        except _Poison:
            return await self._run(tp, records, careful=True)

    async def _run(self, tp: TopicPartition, records: Sequence[Any], *, careful: bool) -> int:
        t = self.tables.consumer_offsets
        applied: dict[str, int] = {}
        async with self.sessions() as session, session.begin():
            # Make sure the offset row exists (a concurrent creator makes us wait, then we find
            # its row), then lock it: FOR UPDATE cannot lock a row that is not there yet.
            await self._ensure_offset_rows(session, [tp])
            stored = await session.scalar(
                sa.select(t.c.next_offset)
                .where(t.c.consumer_group == self.sub.group, t.c.topic == tp.topic, t.c.partition == tp.partition)
                .with_for_update()
            )
            assert stored is not None  # ensured above, in this transaction
            todo = [r for r in records if r.offset >= stored]
            if not todo:
                return int(stored)
            if stored != FROM_BEGINNING and todo[0].offset > stored:
                # Applying these would skip offsets stored..first-1 for good. This happens when a
                # position was set before our seek to the stored offset took effect.
                raise OffsetGap(tp, int(stored), int(todo[0].offset))
            decoded: list[tuple[Any, Message | None, BaseException | None]] = [self._decode(r) for r in todo]
            seen = await self._already_applied(session, [m.event_id for _, m, _ in decoded if m is not None])
            dead: list[tuple[Any, BaseException]] = []
            processed_rows = []
            for index, (record, msg, error) in enumerate(decoded):
                if msg is None:
                    if error is None:  # a type this group ignores
                        EVENTS_IGNORED.labels(self.service, self.sub.group, tp.topic).inc()
                        continue
                    dead.append((record, error))
                    continue
                if msg.event_id in seen:
                    EVENTS_DUPLICATE.labels(self.service, self.sub.group, tp.topic).inc()
                    continue
                seen.add(msg.event_id)
                error = await self._apply(session, msg, index, careful)
                if error is not None:
                    dead.append((record, error))
                    continue
                processed_rows.append(
                    {
                        "consumer_group": self.sub.group,
                        "event_id": msg.event_id,
                        "topic": tp.topic,
                        "partition": tp.partition,
                        "offset": record.offset,
                    }
                )
                applied[tp.topic] = applied.get(tp.topic, 0) + 1
            if processed_rows:
                await session.execute(sa.insert(self.tables.processed_events), processed_rows)
            if dead:
                await self.dead_letters.send_all(dead, self.sub.group)
            next_offset = int(todo[-1].offset) + 1
            values: dict[str, Any] = {"next_offset": next_offset, "updated_at": datetime.now(UTC)}
            where = (t.c.consumer_group == self.sub.group, t.c.topic == tp.topic, t.c.partition == tp.partition)
            await session.execute(sa.update(t).where(*where).values(**values))
        for topic, n in applied.items():
            EVENTS_CONSUMED.labels(self.service, self.sub.group, topic).inc(n)
        return next_offset

    def _decode(self, record: Any) -> tuple[Any, Message | None, BaseException | None]:
        try:
            env = Envelope.from_kafka(record.headers, record.value)
            msg = self.sub.registry.decode(env, topic=record.topic, partition=record.partition, offset=record.offset)
            return record, msg, None
        except UnknownEventType as exc:
            if self.sub.ignore and self.sub.ignores(env.type):
                return record, None, None
            return record, None, exc
        except MalformedEvent as exc:
            return record, None, exc

    async def _apply(self, session: AsyncSession, msg: Message, index: int, careful: bool) -> BaseException | None:
        env = msg.envelope
        with context.bind(
            correlation_id=env.correlationid or env.id, causation_id=env.id, traceparent=env.traceparent, request_id=None
        ):
            if not careful:
                try:
                    await self.sub.handler(session, msg)
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    raise _Poison(index, exc) from exc
                return None
            try:
                async with session.begin_nested():
                    await self.sub.handler(session, msg)
            except Exception as exc:
                if is_transient(exc):
                    raise
                return exc
            return None

    async def _already_applied(self, session: AsyncSession, event_ids: list[str]) -> set[str]:
        if not event_ids:
            return set()
        t = self.tables.processed_events
        found: set[str] = set()
        for i in range(0, len(event_ids), 500):
            chunk = event_ids[i : i + 500]
            rows = await session.execute(
                sa.select(t.c.event_id).where(t.c.consumer_group == self.sub.group, t.c.event_id.in_(chunk))
            )
            found.update(r[0] for r in rows)
        return found
