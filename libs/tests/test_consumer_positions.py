"""The database alone says where a consumer group is: offsets committed to Kafka under the same
group (by an older deployment, a tool, another database) never make it skip records, and a batch
that starts beyond the stored offset is refused rather than applied with a gap behind it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import OffsetAndMetadata, TopicPartition

from eventkit.consumer import ConsumerRunner
from eventkit.db import make_engine, make_sessionmaker
from eventkit.deadletter import DeadLetters
from eventkit.kafka import TopicSpec, ensure_topics, make_producer
from eventkit.processing import OffsetGap, PartitionProcessor
from eventkit.testing import ledger
from eventkit.testing.proofs import (
    actual_projection,
    caught_up,
    end_offsets,
    expected_projection,
    ledger_envelopes,
    produce,
    times_applied,
)


async def test_offsets_committed_in_kafka_do_not_make_a_fresh_database_skip_anything(
    kafka_bootstrap: str, new_pg_database: Callable[[str], str]
) -> None:
    topic = f"positions-{int(time.time() * 1000)}"
    await ensure_topics(kafka_bootstrap, TopicSpec(topic, 3).with_dlq())
    envelopes = ledger_envelopes(accounts=30, per_account=10)
    await produce(kafka_bootstrap, topic, envelopes)
    ends = await end_offsets(kafka_bootstrap, topic)
    group = ledger.projection(topic).group
    # someone committed the group's offsets halfway through every partition, in Kafka (under the
    # Kafka group id the runner below uses: ConsumerRunner.kafka_group, "<service>.<group>")
    other = AIOKafkaConsumer(topic, bootstrap_servers=kafka_bootstrap, group_id=f"test.{group}", enable_auto_commit=False)
    await other.start()
    try:
        await other.getmany(timeout_ms=2000)
        await other.commit({TopicPartition(topic, p): OffsetAndMetadata(off // 2, "") for p, off in ends.items()})
    finally:
        await other.stop()

    engine = make_engine(new_pg_database("positions"))
    async with engine.begin() as conn:
        await conn.run_sync(ledger.metadata.create_all)
    sessions = make_sessionmaker(engine)
    producer = make_producer(kafka_bootstrap, client_id="positions")
    await producer.start()
    runner = ConsumerRunner(
        service="test",
        bootstrap=kafka_bootstrap,
        sessions=sessions,
        tables=ledger.kernel,
        subscription=ledger.projection(topic).subscription(),
        dead_letters=DeadLetters(service="test", producer=producer),
    )
    assert runner.kafka_group == f"test.{group}"
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        for _ in range(240):
            if await caught_up(sessions, group, ends):
                break
            await asyncio.sleep(0.25)
    finally:
        stop.set()
        await task
        await producer.stop()
    assert await actual_projection(sessions) == expected_projection(envelopes)
    assert await times_applied(sessions) == {1: len(envelopes)}
    await engine.dispose()


async def test_a_batch_beyond_the_stored_offset_is_refused_and_applies_nothing(new_pg_database: Callable[[str], str]) -> None:
    engine = make_engine(new_pg_database("gap"))
    async with engine.begin() as conn:
        await conn.run_sync(ledger.metadata.create_all)
    sessions = make_sessionmaker(engine)
    processor = PartitionProcessor(
        service="test",
        sessions=sessions,
        tables=ledger.kernel,
        subscription=ledger.projection("gap").subscription(),
        dead_letters=None,  # type: ignore[arg-type]  # nothing here is dead-lettered
    )
    tp = TopicPartition("gap", 0)
    assert await processor.stored_offsets([tp], floors={tp: 0}) == {tp: 0}
    env = ledger_envelopes(accounts=1, per_account=1)[0]
    record = SimpleNamespace(
        topic="gap", partition=0, offset=5, key=env.key, value=env.kafka_value(), headers=env.kafka_headers()
    )
    with pytest.raises(OffsetGap) as gap:
        await processor.process(tp, [record])
    assert (gap.value.stored, gap.value.first) == (0, 5)
    assert await actual_projection(sessions) == {}
    assert await processor.stored_offsets([tp]) == {tp: 0}
    await engine.dispose()
