"""Proof b: the relay SIGKILLed at random points while publishing 20,000 events, restarted each
time: every event reaches Kafka and per-stream (hence per-key) order holds."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from eventkit.db import make_engine, make_sessionmaker
from eventkit.kafka import TopicSpec, ensure_topics
from eventkit.store import EventStore
from eventkit.testing import ledger
from eventkit.testing.proofs import Worker, read_topic

pytestmark = pytest.mark.slow

STREAMS = 400
ROUNDS = 5
PER_APPEND = 10  # 400 streams x 5 rounds x 10 events = 20,000


async def test_relay_killed_repeatedly_loses_nothing_and_keeps_order(
    kafka_bootstrap: str, new_pg_database: Callable[[str], str], tmp_path: Path
) -> None:
    db = new_pg_database("relay")
    topic = f"proof-b-{int(time.time() * 1000)}"
    await ensure_topics(kafka_bootstrap, [TopicSpec(topic, 12)])
    engine = make_engine(db)
    async with engine.begin() as conn:
        await conn.run_sync(ledger.metadata.create_all)
    sessions = make_sessionmaker(engine)
    store = EventStore(service="proof", source="/proof", topic=topic, tables=ledger.kernel, registry=ledger.registry)
    for _ in range(ROUNDS):
        for s_ in range(STREAMS):
            async with sessions() as s, s.begin():
                await store.append(
                    s,
                    f"acct-{s_}",
                    None,
                    [ledger.Deposited(account=f"acct-{s_}", amount_fen=i + 1) for i in range(PER_APPEND)],
                    subject=f"payer-{s_ % 97}",
                )
    total = STREAMS * ROUNDS * PER_APPEND

    async def backlog() -> int:
        async with sessions() as s:
            return int(await s.scalar(sa.select(sa.func.count()).select_from(ledger.kernel.outbox)) or 0)

    assert await backlog() == total
    worker = Worker("relay", db, kafka_bootstrap, topic=topic, batch=50, log=tmp_path / "relay.log")
    rng = random.Random(20200201)
    kills_mid_publish = 0
    worker.start()
    while await backlog() > 0:
        await asyncio.sleep(rng.uniform(0.3, 1.2))
        before = await backlog()
        worker.kill()
        kills_mid_publish += before > 0
        worker.start()
    await asyncio.sleep(3)  # let the last incarnation come up, then stop it gracefully
    assert worker.stop() == 0
    assert kills_mid_publish >= 3, "the relay finished before it could be killed mid-publish"

    async with sessions() as s:
        rows = (
            await s.execute(
                sa.select(
                    ledger.kernel.events.c.event_id, ledger.kernel.events.c.stream_id, ledger.kernel.events.c.stream_version
                )
            )
        ).all()
    committed = {r.event_id: (r.stream_id, r.stream_version) for r in rows}
    records = await read_topic(kafka_bootstrap, topic, expect_distinct=total)
    seen: dict[str, int] = {}
    duplicates = 0
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        h = {k: v.decode() for k, v in r.headers}
        stream, version = h["ce_streamid"], int(h["ce_streamversion"])
        assert committed[h["ce_id"]] == (stream, version)
        assert r.key.decode() == h["ce_subject"]
        highest = seen.get(stream, 0)
        # a re-sent event repeats an earlier version; nothing may ever jump ahead of its predecessor
        assert version <= highest + 1, f"{stream}: v{version} arrived before v{highest + 1}"
        duplicates += version <= highest
        seen[stream] = max(highest, version)
    assert {h for h in committed} == {dict(r.headers)["ce_id"].decode() for r in records}
    assert all(seen[f"acct-{s}"] == ROUNDS * PER_APPEND for s in range(STREAMS))
    print(f"relay proof: {worker.kills} kills, {kills_mid_publish} mid-publish, {duplicates} duplicates on the wire")
    await engine.dispose()
