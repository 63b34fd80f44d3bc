"""`GET /v1/ops/pipeline`, which every service gets from the kernel: a runtime on PostgreSQL and
Kafka applies events, a poison record is dead-lettered, a rebuild is recorded, and the endpoint
reports each (consumer lag, outbox backlog, dead letters, the last rebuild's fingerprint) to the
ops and auditor roles only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import sqlalchemy as sa

from eventkit.kafka import TopicSpec, make_producer
from eventkit.rebuild import rebuild
from eventkit.runtime import ServiceDefinition, ServiceRuntime
from eventkit.settings import ServiceSettings
from eventkit.testing import ledger
from eventkit.web.app import create_app
from eventkit.web.ops import ops_router
from eventkit.web.tokens import generate_keypair, issue_token


async def test_the_pipeline_endpoint_reports_lag_backlog_dead_letters_and_the_last_rebuild(
    kafka_bootstrap: str, new_pg_database: Callable[[str], str]
) -> None:
    topic = f"ops-{int(time.time() * 1000)}"
    projection = ledger.projection(topic)
    definition = ServiceDefinition(
        name="ops-ledger",
        topic=topic,
        metadata=ledger.metadata,
        registry=ledger.registry,
        own_topics=lambda partitions, replication: TopicSpec(topic, partitions, replication).with_dlq(),
        projections=(projection,),
    )
    url = new_pg_database("ops")
    runtime = ServiceRuntime(definition, database_url=url, bootstrap=kafka_bootstrap, partitions=3)
    async with runtime.engine.begin() as conn:
        await conn.run_sync(ledger.metadata.create_all)
    private, public = generate_keypair()
    settings = ServiceSettings(service_name="ops-ledger", database_url=url, auth_jwt_public_key=public)
    app = create_app(settings, sessions=runtime.sessions, routers=[ops_router(runtime, "1.2.3")])
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ops")

    async def pipeline(*roles: str) -> httpx.Response:
        token = issue_token(private, "someone", list(roles))
        return await client.get("/v1/ops/pipeline", headers={"Authorization": f"Bearer {token}"})

    await runtime.start()
    try:
        for i in range(30):
            async with runtime.sessions() as s, s.begin():
                await runtime.store.append(
                    s, f"acct-{i % 5}", None, [ledger.Deposited(account=f"acct-{i % 5}", amount_fen=i + 1)], subject=f"P{i % 5}"
                )
        producer = make_producer(kafka_bootstrap, client_id="ops-poison")
        await producer.start()
        try:
            await producer.send_and_wait(topic, b"{not json", key=b"P1", headers=[("content-type", b"application/json")])
        finally:
            await producer.stop()

        async def settled() -> dict[str, object] | None:
            async with runtime.sessions() as s:
                applied = await s.scalar(sa.select(sa.func.count()).select_from(ledger.applied))
            body = (await pipeline("ops")).json()
            done = applied == 30 and body["dead_lettered"] == 1 and body["consumer_lag"] == 0 and body["outbox_backlog"] == 0
            return body if done and all(c["known"] for c in body["consumers"]) else None

        body = None
        for _ in range(300):
            body = await settled()
            if body is not None:
                break
            await asyncio.sleep(0.1)
        assert body is not None, (await pipeline("ops")).json()
        assert (body["service"], body["version"]) == ("ops-ledger", "1.2.3")
        assert [(c["group"], c["lag"], c["partitions"]) for c in body["consumers"]] == [("projection.ledger", 0, 3)]
        assert body["dead_letters"] == [{"group": "projection.ledger", "events": 1}]
        assert body["rebuilds"] == [
            {"projection": "ledger", "fingerprint": None, "events": None, "milliseconds": None, "rebuilt_at": None}
        ]
        assert (await pipeline("auditor")).status_code == 200
        assert (await pipeline("payer", "tax_officer")).status_code == 403
        assert (await client.get("/v1/ops/pipeline")).status_code == 401
    finally:
        await runtime.stop()

    runtime = ServiceRuntime(definition, database_url=url, bootstrap=kafka_bootstrap, partitions=3)
    [result] = await rebuild(runtime, [projection], show_progress=False)
    app = create_app(settings, sessions=runtime.sessions, routers=[ops_router(runtime, "1.2.3")])
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ops")
    [record] = (await pipeline("auditor")).json()["rebuilds"]
    # 31 records replayed: the 30 deposits and the poison record (dead-lettered again)
    assert (record["projection"], record["fingerprint"], record["events"]) == ("ledger", result.fingerprint, 31)
    assert record["rebuilt_at"] is not None and record["milliseconds"] >= 0
    await runtime.engine.dispose()
