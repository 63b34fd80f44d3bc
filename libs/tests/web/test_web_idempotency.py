"""Idempotency-Key: replay, mismatch, in-flight, release on 5xx, stored 4xx, lease takeover.

Run on SQLite and PostgreSQL (root fixture `database_url`).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
import sqlalchemy as sa

from eventkit.schema import kernel_tables
from eventkit.web import PAYER
from eventkit.web.idempotency import request_fingerprint

KEYS = kernel_tables(sa.MetaData()).idempotency_keys


@pytest_asyncio.fixture
async def h(make_harness: Any, database_url: str) -> Any:
    return await make_harness(database_url)


def post(h: Any, body: dict[str, Any], key: str | None, sub: str = "alice") -> Any:
    headers = h.token(PAYER, sub=sub)
    if key is not None:
        headers["Idempotency-Key"] = key
    return h.client.post("/v1/things", json=body, headers=headers)


@pytest.mark.asyncio
async def test_same_key_same_body_replays_and_runs_once(h: Any) -> None:
    first = await post(h, {"name": "a", "lines": [{"base_fen": 1}]}, "k-1")
    # same JSON, other key order and spacing: the same request
    second = await h.client.post(
        "/v1/things",
        content=b'{ "lines": [{"base_fen": 1}],  "name": "a" }',
        headers={**h.token(PAYER), "Idempotency-Key": "k-1", "content-type": "application/json"},
    )
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers["location"] == first.headers["location"] == "/v1/things/1"
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert second.headers["x-request-id"] != first.headers["x-request-id"]
    assert h.controls.calls == 1
    assert await h.count_things() == 1


@pytest.mark.asyncio
async def test_keys_are_per_principal_and_optional(h: Any) -> None:
    assert (await post(h, {"name": "a"}, "shared", sub="alice")).status_code == 201
    r = await post(h, {"name": "a"}, "shared", sub="bob")
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers
    assert (await post(h, {"name": "a"}, None)).status_code == 201
    assert (await post(h, {"name": "a"}, None)).status_code == 201
    assert h.controls.calls == 4 and await h.count_things() == 4


@pytest.mark.asyncio
async def test_same_key_different_body_is_422_naming_the_header(h: Any) -> None:
    assert (await post(h, {"name": "a"}, "k-2")).status_code == 201
    r = await post(h, {"name": "b"}, "k-2")
    assert r.status_code == 422
    body = r.json()
    assert body["type"] == "urn:relief:problem:idempotency-key-reused"
    assert [e["field"] for e in body["errors"]] == ["header.Idempotency-Key"]
    assert h.controls.calls == 1 and await h.count_things() == 1


@pytest.mark.asyncio
async def test_invalid_key_is_422(h: Any) -> None:
    r = await post(h, {"name": "a"}, "x" * 201)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "header.Idempotency-Key"
    assert h.controls.calls == 0


async def _insert_marker(h: Any, key: str, body: dict[str, Any], created_at: datetime) -> None:
    import json

    async with h.sessions() as s, s.begin():
        await s.execute(
            sa.insert(KEYS).values(
                principal="alice",
                key=key,
                method="POST",
                path="/v1/things",
                request_hash=request_fingerprint("POST", "/v1/things", json.dumps(body).encode()),
                state="in_flight",
                created_at=created_at,
            )
        )


@pytest.mark.asyncio
async def test_key_in_flight_elsewhere_is_409(h: Any) -> None:
    await _insert_marker(h, "k-3", {"name": "a"}, datetime.now(UTC))
    r = await post(h, {"name": "a"}, "k-3")
    assert r.status_code == 409
    assert r.json()["type"] == "urn:relief:problem:idempotency-in-flight"
    assert r.headers["retry-after"] == "1"
    assert h.controls.calls == 0


@pytest.mark.asyncio
async def test_marker_older_than_the_lease_is_taken_over(h: Any) -> None:
    await _insert_marker(h, "k-4", {"name": "a"}, datetime.now(UTC) - timedelta(seconds=61))
    r = await post(h, {"name": "a"}, "k-4")
    assert r.status_code == 201 and h.controls.calls == 1
    replay = await post(h, {"name": "a"}, "k-4")
    assert replay.headers["idempotent-replayed"] == "true" and h.controls.calls == 1


@pytest.mark.asyncio
async def test_server_error_releases_the_key_and_a_retry_runs(h: Any) -> None:
    h.controls.fail_times = 1
    r = await post(h, {"name": "a"}, "k-5")
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    assert await h.count_things() == 0  # the failed attempt's write was rolled back
    async with h.sessions() as s:
        assert (await s.execute(sa.select(sa.func.count()).select_from(KEYS))).scalar_one() == 0
    retry = await post(h, {"name": "a"}, "k-5")
    assert retry.status_code == 201 and "idempotent-replayed" not in retry.headers
    assert h.controls.calls == 2 and await h.count_things() == 1


@pytest.mark.asyncio
async def test_a_concurrency_conflict_is_decided_again_in_a_new_transaction(h: Any) -> None:
    h.controls.conflicts = 2
    r = await post(h, {"name": "a"}, "k-6")
    assert r.status_code == 201 and r.json()["count"] == 1, r.text
    assert h.controls.calls == 3 and await h.count_things() == 1  # the two lost attempts left nothing
    h.controls.conflicts = 99  # one that outlasts the attempts: 409, the key released for a retry
    r = await post(h, {"name": "b"}, "k-7")
    assert r.status_code == 409 and await h.count_things() == 1
    async with h.sessions() as s:
        assert (await s.execute(sa.select(sa.func.count()).select_from(KEYS).where(KEYS.c.key == "k-7"))).scalar_one() == 0


@pytest.mark.asyncio
async def test_client_error_is_stored_and_replayed(h: Any) -> None:
    first = await post(h, {"name": "taken"}, "k-6")
    assert first.status_code == 409 and first.json()["type"] == "urn:relief:problem:name-taken"
    again = await post(h, {"name": "taken"}, "k-6")
    assert again.status_code == 409 and again.content == first.content
    assert again.headers["content-type"] == "application/problem+json"
    assert again.headers["idempotent-replayed"] == "true"
    assert h.controls.calls == 1
    assert await h.count_things() == 0  # the 4xx command's own writes were rolled back


@pytest.mark.asyncio
async def test_concurrent_duplicate_gets_409_then_the_replay(make_harness: Any, new_pg_database: Any) -> None:
    """PostgreSQL: the duplicate sees the in-flight marker (SQLite's case is the test below)."""
    h = await make_harness(new_pg_database("idem"))
    h.controls.gate = asyncio.Event()
    first = asyncio.create_task(post(h, {"name": "a"}, "k-7"))
    await asyncio.wait_for(h.controls.entered.wait(), 10)
    dup = await post(h, {"name": "a"}, "k-7")
    assert dup.status_code == 409 and dup.json()["type"] == "urn:relief:problem:idempotency-in-flight"
    h.controls.gate.set()
    assert (await first).status_code == 201
    replay = await post(h, {"name": "a"}, "k-7")
    assert replay.headers["idempotent-replayed"] == "true"
    assert h.controls.calls == 1 and await h.count_things() == 1


@pytest.mark.asyncio
async def test_attempt_that_outlived_its_lease_is_rolled_back(make_harness: Any, new_pg_database: Any) -> None:
    """Needs two writers at once, which PostgreSQL has and SQLite serialises."""
    h = await make_harness(new_pg_database("idem"), idempotency_lease_s=0.2)
    gate = h.controls.gate = asyncio.Event()
    slow = asyncio.create_task(post(h, {"name": "a"}, "k-8"))
    await asyncio.wait_for(h.controls.entered.wait(), 10)
    await asyncio.sleep(0.3)
    h.controls.gate = None  # the retry runs straight through
    retry = await post(h, {"name": "a"}, "k-8")
    assert retry.status_code == 201
    gate.set()
    late = await slow
    assert late.status_code == 409 and late.json()["type"] == "urn:relief:problem:idempotency-in-flight"
    assert h.controls.calls == 2 and await h.count_things() == 1
    replay = await post(h, {"name": "a"}, "k-8")
    assert replay.headers["idempotent-replayed"] == "true" and replay.content == retry.content


@pytest.mark.asyncio
async def test_concurrent_duplicate_on_sqlite_waits_then_replays(make_harness: Any) -> None:
    """SQLite serialises writers: the duplicate waits for the first to commit, then replays."""
    h = await make_harness(None)
    gate = h.controls.gate = asyncio.Event()
    first = asyncio.create_task(post(h, {"name": "a"}, "k-9"))
    await asyncio.wait_for(h.controls.entered.wait(), 10)
    dup = asyncio.create_task(post(h, {"name": "a"}, "k-9"))
    await asyncio.sleep(0.2)
    assert not dup.done()  # queued behind the first writer's transaction
    gate.set()
    assert (await first).status_code == 201
    replay = await dup
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    assert h.controls.calls == 1 and await h.count_things() == 1
