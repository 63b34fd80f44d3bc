"""Proof f: PostgreSQL stopped for 10 s under a running consumer: the consumer retries, resumes
and skips nothing (and applies nothing twice)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from eventkit.db import make_engine, make_sessionmaker
from eventkit.kafka import TopicSpec, ensure_topics
from eventkit.testing import ledger
from eventkit.testing.proofs import (
    Worker,
    actual_projection,
    caught_up,
    end_offsets,
    expected_projection,
    ledger_envelopes,
    produce,
    stored_offsets,
    times_applied,
)

pytestmark = pytest.mark.slow


async def test_consumer_survives_a_database_outage_and_skips_nothing(kafka_bootstrap: str, tmp_path: Path) -> None:
    from devstack.postgres import PostgresCluster

    cluster = PostgresCluster(tmp_path / "pg-outage")
    cluster.start()
    try:
        cluster.create_database("outage")
        db = cluster.url("outage")
        engine = make_engine(db)
        async with engine.begin() as conn:
            await conn.run_sync(ledger.metadata.create_all)
        sessions = make_sessionmaker(engine)

        topic = f"proof-f-{int(time.time() * 1000)}"
        await ensure_topics(kafka_bootstrap, TopicSpec(topic, 12).with_dlq())
        envelopes = ledger_envelopes(accounts=300, per_account=30)  # 9,000 events
        first, later = envelopes[:6000], envelopes[6000:]
        await produce(kafka_bootstrap, topic, first)
        group = ledger.projection(topic).group

        worker = Worker("consume", db, kafka_bootstrap, topic=topic, batch=100, log=tmp_path / "consumer.log")
        worker.start()
        pid = worker.proc.pid if worker.proc else None
        for _ in range(120):  # let it get going before pulling the database away
            if sum(v for v in (await stored_offsets(sessions, group)).values() if v > 0) > 500:
                break
            await asyncio.sleep(0.25)
        await engine.dispose()

        cluster.stop(mode="fast")
        outage_started = time.monotonic()
        await produce(kafka_bootstrap, topic, later)  # events keep arriving while the database is away
        await asyncio.sleep(max(0.0, 10 - (time.monotonic() - outage_started)))
        assert worker.alive(), "the consumer died while the database was away instead of retrying"
        cluster.start()

        ends = await end_offsets(kafka_bootstrap, topic)
        engine = make_engine(db)
        sessions = make_sessionmaker(engine)
        deadline = time.monotonic() + 180
        while not await caught_up(sessions, group, ends):
            assert time.monotonic() < deadline, "the consumer did not resume after the database came back"
            assert worker.alive(), "the consumer died after the outage"
            await asyncio.sleep(0.5)
        assert worker.proc is not None and worker.proc.pid == pid  # the same process rode it out
        worker.stop()

        assert await actual_projection(sessions) == expected_projection(envelopes)
        assert await times_applied(sessions) == {1: len(envelopes)}
        log = (tmp_path / "consumer.log").read_text(errors="replace")
        assert "transient fault" in log or "cannot read stored offsets" in log  # it did see the outage
        await engine.dispose()
    finally:
        cluster.stop()
