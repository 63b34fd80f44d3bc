"""A service runtime end to end on the kernel: commands append, the relay publishes, the
projection consumer applies, readiness reports it, and `rebuild` (with its progress bar)
reproduces the live projection's fingerprint."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from eventkit.kafka import TopicSpec
from eventkit.projection import fingerprint
from eventkit.rebuild import rebuild
from eventkit.runtime import ServiceDefinition, ServiceRuntime
from eventkit.testing import ledger


async def test_live_projection_and_rebuild_agree(
    kafka_bootstrap: str, new_pg_database: Callable[[str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    topic = f"runtime-{int(time.time() * 1000)}"
    projection = ledger.projection(topic)
    definition = ServiceDefinition(
        name="ledger",
        topic=topic,
        metadata=ledger.metadata,
        registry=ledger.registry,
        own_topics=lambda partitions, replication: TopicSpec(topic, partitions, replication).with_dlq(),
        projections=(projection,),
    )
    runtime = ServiceRuntime(definition, database_url=new_pg_database("runtime"), bootstrap=kafka_bootstrap, partitions=6)
    async with runtime.engine.begin() as conn:
        await conn.run_sync(ledger.metadata.create_all)
    await runtime.start()
    try:
        for i in range(300):
            async with runtime.sessions() as s, s.begin():
                await runtime.store.append(
                    s,
                    f"acct-{i % 40}",
                    None,
                    [ledger.Deposited(account=f"acct-{i % 40}", amount_fen=i + 1)],
                    subject=f"P{i % 40 % 13}",
                )
        for _ in range(200):
            async with runtime.sessions() as s:
                applied = await s.scalar(sa.select(sa.func.count()).select_from(ledger.applied))
            if applied == 300:
                break
            await asyncio.sleep(0.1)
        assert applied == 300
        checks = {name: ok for name, ok, _ in [await c() for c in runtime.readiness_checks()]}
        assert checks == {"kafka": True, "consumers": True}
        assert runtime.relay is not None and await runtime.relay.backlog() == 0
    finally:
        await runtime.stop()

    async with runtime.sessions() as s:
        total = await s.scalar(sa.select(sa.func.sum(ledger.balances.c.balance_fen)))
    assert total == sum(range(1, 301))
    live = await fingerprint(runtime.sessions, projection.tables)

    results = await rebuild(runtime, [projection], show_progress=True)
    assert [(r.projection, r.events, r.fingerprint) for r in results] == [("ledger", 300, live)]
    assert "events/s" in capsys.readouterr().err
    await runtime.engine.dispose()
