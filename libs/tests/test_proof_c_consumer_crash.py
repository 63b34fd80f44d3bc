"""Proof c: a consuming process SIGKILLed every few seconds while it projects a 20,000-event
stream, restarted each time: the final projection equals one built without crashes, and no
event was applied twice (checked by the projection's content).

Proof d: dropping the projection and rebuilding it from the log gives the same fingerprint."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from eventkit.consumer import ConsumerRunner
from eventkit.db import make_engine, make_sessionmaker
from eventkit.deadletter import DeadLetters
from eventkit.kafka import TopicSpec, ensure_topics, make_producer
from eventkit.projection import fingerprint, reset
from eventkit.testing import ledger
from eventkit.testing.proofs import (
    Worker,
    actual_projection,
    caught_up,
    end_offsets,
    expected_projection,
    ledger_envelopes,
    produce,
    times_applied,
)

pytestmark = pytest.mark.slow


async def test_consumer_killed_repeatedly_applies_everything_exactly_once(
    kafka_bootstrap: str, new_pg_database: Callable[[str], str], tmp_path: Path
) -> None:
    topic = f"proof-c-{int(time.time() * 1000)}"
    await ensure_topics(kafka_bootstrap, TopicSpec(topic, 12).with_dlq())
    envelopes = ledger_envelopes(accounts=500, per_account=40, payers=150)  # 20,000 events
    await produce(kafka_bootstrap, topic, envelopes)
    await produce(kafka_bootstrap, topic, envelopes[5000:5300])  # copies on the wire, as after a relay crash
    ends = await end_offsets(kafka_bootstrap, topic)

    crashed_db = new_pg_database("crashed")
    engine = make_engine(crashed_db)
    async with engine.begin() as conn:
        await conn.run_sync(ledger.metadata.create_all)
    sessions = make_sessionmaker(engine)
    group = ledger.projection(topic).group

    worker = Worker(
        "consume",
        crashed_db,
        kafka_bootstrap,
        topic=topic,
        batch=200,
        log=tmp_path / "consumer.log",
        instance_id="proof-c-consumer",
    )
    rng = random.Random(2020)
    worker.start()
    deadline = time.monotonic() + 600
    while not await caught_up(sessions, group, ends):
        assert time.monotonic() < deadline, "consumer did not catch up"
        await asyncio.sleep(rng.uniform(2.0, 4.0))
        if await caught_up(sessions, group, ends):
            break
        worker.kill()
        worker.start()
    await asyncio.sleep(1)
    worker.stop()
    assert worker.kills >= 3, f"only {worker.kills} kills: the proof needs the consumer to die mid-stream"

    # by content: every account's balance, count and hash chain as the events say, in stream order
    assert await actual_projection(sessions) == expected_projection(envelopes)
    assert await times_applied(sessions) == {1: len(envelopes)}

    # equal to a build without crashes
    calm_db = new_pg_database("calm")
    calm_engine = make_engine(calm_db)
    async with calm_engine.begin() as conn:
        await conn.run_sync(ledger.metadata.create_all)
    calm = make_sessionmaker(calm_engine)
    producer = make_producer(kafka_bootstrap, client_id="proof-c")
    await producer.start()
    try:
        runner = ConsumerRunner(
            service="proof",
            bootstrap=kafka_bootstrap,
            sessions=calm,
            tables=ledger.kernel,
            subscription=ledger.projection(topic).subscription(),
            dead_letters=DeadLetters(service="proof", producer=producer),
        )
        await runner.run_until_end()
        tables = [ledger.balances, ledger.applied]
        crashed_fp = await fingerprint(sessions, tables)
        assert await fingerprint(calm, tables) == crashed_fp

        # proof d: drop the crashed build's projection and rebuild it from the log
        await reset(sessions, ledger.kernel, ledger.projection(topic))
        assert await actual_projection(sessions) == {}
        rebuild = ConsumerRunner(
            service="proof",
            bootstrap=kafka_bootstrap,
            sessions=sessions,
            tables=ledger.kernel,
            subscription=ledger.projection(topic).subscription(),
            dead_letters=DeadLetters(service="proof", producer=producer),
        )
        read, total = await rebuild.run_until_end()
        assert read == total == len(envelopes) + 300
        assert await fingerprint(sessions, tables) == crashed_fp
    finally:
        await producer.stop()
        await engine.dispose()
        await calm_engine.dispose()
    print(f"consumer proof: {worker.kills} kills")
