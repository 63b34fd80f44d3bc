"""Disaster recovery: a service's event store restored from Kafka alone.

The log is the source of truth: every event a service ever appended was published, by its outbox
relay, to one of the service's own topics (kept forever). When the service's database is lost
outright, `restore` reads those topics (and, of the public topics it publishes integration events
on, the events it authored) from the beginning into an empty, freshly migrated database —
each event once (the relay publishes at least once: a repeated event id is skipped), each stream in
version order (a stream's events share a key, so a partition) — without outbox rows (they are
published already). Then every projection is rebuilt from the log as usual (`rebuild`).

What the lost database also held and the log does not: consumer offsets (projections are rebuilt;
processors start from the beginning of what they read and must decide idempotently against the
restored streams, which the services' decisions do), idempotency keys (a request retried across
the disaster may act again) and operational schedules (re-derived by the workers).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition

from eventkit.envelope import Envelope
from eventkit.kafka_security import client_options
from eventkit.runtime import ServiceRuntime


class RestoreError(RuntimeError):
    pass


@dataclass(frozen=True)
class RestoreResult:
    topic: str
    events: int
    duplicates: int
    seconds: float


def own_log_topics(runtime: ServiceRuntime) -> list[str]:
    """The topics the service's store publishes to: its own topics (dead-letter topics excepted)
    and the public topics it publishes integration events on (shared with other services: only
    the events this service appended, by their source, are restored)."""
    specs = runtime.definition.own_topics(runtime.partitions, runtime.replication)
    own = [s.name for s in specs if not s.name.endswith(".dlq")]
    return own + [t for t in runtime.definition.public_topics if t not in own]


async def restore_store(runtime: ServiceRuntime, *, batch: int = 500) -> list[RestoreResult]:
    """Fill the (empty) event store from the service's own topics; refuses a store with events."""
    events = runtime.definition.kernel.events
    async with runtime.sessions() as session:
        if await session.scalar(sa.select(sa.func.count()).select_from(events)):
            raise RestoreError("the event store is not empty: restore only into a new, migrated database")
    seen: set[str] = set()
    return [await _restore_topic(runtime, topic, seen, batch) for topic in own_log_topics(runtime)]


async def _restore_topic(runtime: ServiceRuntime, topic: str, seen: set[str], batch: int) -> RestoreResult:
    started = time.perf_counter()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=runtime.bootstrap,
        enable_auto_commit=False,
        isolation_level="read_committed",
        group_id=None,
        **client_options(),
    )
    await consumer.start()
    restored = duplicates = 0
    try:
        partitions = sorted(consumer.partitions_for_topic(topic) or ())
        if not partitions:
            return RestoreResult(topic, 0, 0, time.perf_counter() - started)
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        remaining = {tp for tp in tps if end[tp] > 0}
        while remaining:
            fetched = await consumer.getmany(*remaining, timeout_ms=1000, max_records=batch)
            envelopes: list[Envelope] = []
            for records in fetched.values():
                for record in records:
                    env = Envelope.from_kafka(record.headers, record.value)
                    if env.source != runtime.store.source:
                        continue  # another service's event on a shared public topic
                    if env.id in seen:
                        duplicates += 1
                        continue
                    seen.add(env.id)
                    envelopes.append(env)
            await _insert(runtime, envelopes, topic)
            restored += len(envelopes)
            for tp in list(remaining):
                if await consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return RestoreResult(topic, restored, duplicates, time.perf_counter() - started)


async def _insert(runtime: ServiceRuntime, envelopes: Sequence[Envelope], topic: str) -> None:
    if not envelopes:
        return
    async with runtime.sessions() as session, session.begin():
        await runtime.store.append_envelopes(session, envelopes, topic=topic, outbox=False)
