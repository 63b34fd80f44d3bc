"""The event store's contract, run against SQLite and PostgreSQL alike (fixture `database_url`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eventkit.commands import retrying
from eventkit.db import make_engine, make_sessionmaker
from eventkit.errors import ConcurrencyError
from eventkit.store import NO_STREAM, EventStore
from eventkit.testing import ledger
from eventkit.testing.ledger import Deposited, Withdrawn


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(ledger.metadata.create_all)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def store() -> EventStore:
    return EventStore(service="test", source="/test", topic="ledger.events", tables=ledger.kernel, registry=ledger.registry)


async def test_append_and_load_round_trip(sessions: async_sessionmaker[AsyncSession], store: EventStore) -> None:
    async with sessions() as s, s.begin():
        envs = await store.append(
            s, "acct-1", NO_STREAM, [Deposited(account="a", amount_fen=100), Withdrawn(amount_fen=30)], subject="P1"
        )
    async with sessions() as s:
        loaded = await store.load(s, "acct-1")
        assert await store.version(s, "acct-1") == 2
    assert [m.event for m in loaded] == [Deposited(account="a", amount_fen=100), Withdrawn(amount_fen=30)]
    assert [m.envelope.streamversion for m in loaded] == [1, 2]
    assert [m.event_id for m in loaded] == [e.id for e in envs]
    assert all(m.envelope.subject == "P1" and m.envelope.time.tzinfo is not None for m in loaded)


async def test_load_many_gives_each_stream_in_version_order(
    sessions: async_sessionmaker[AsyncSession], store: EventStore
) -> None:
    async with sessions() as s, s.begin():
        await store.append(s, "acct-m1", NO_STREAM, [Deposited(account="a", amount_fen=1), Withdrawn(amount_fen=1)], subject="P1")
        await store.append(s, "acct-m2", NO_STREAM, [Deposited(account="b", amount_fen=2)], subject="P2")
    async with sessions() as s:
        loaded = await store.load_many(s, ["acct-m2", "acct-m1", "acct-none"], chunk=2)
    assert [m.envelope.streamversion for m in loaded["acct-m1"]] == [1, 2]
    assert [m.event for m in loaded["acct-m2"]] == [Deposited(account="b", amount_fen=2)]
    assert loaded["acct-none"] == []


async def test_global_position_and_recorded_time(sessions: async_sessionmaker[AsyncSession], store: EventStore) -> None:
    before = datetime.now(UTC)
    for stream in ("s-a", "s-b", "s-a"):
        async with sessions() as s, s.begin():
            await store.append(s, stream, None, [Withdrawn(amount_fen=1)], subject="P")
    t = ledger.kernel.events
    async with sessions() as s:
        rows = (
            await s.execute(sa.select(t.c.position, t.c.stream_id, t.c.stream_version, t.c.recorded_at).order_by(t.c.position))
        ).all()
    assert [(r.stream_id, r.stream_version) for r in rows] == [("s-a", 1), ("s-b", 1), ("s-a", 2)]
    assert [r.position for r in rows] == sorted({r.position for r in rows})
    assert all((r.recorded_at if r.recorded_at.tzinfo else r.recorded_at.replace(tzinfo=UTC)) >= before for r in rows)


async def test_wrong_expected_version_is_a_conflict(sessions: async_sessionmaker[AsyncSession], store: EventStore) -> None:
    async with sessions() as s, s.begin():
        await store.append(s, "acct", NO_STREAM, [Withdrawn(amount_fen=1)], subject="P")
    with pytest.raises(ConcurrencyError) as err:
        async with sessions() as s, s.begin():
            await store.append(s, "acct", NO_STREAM, [Withdrawn(amount_fen=2)], subject="P")
    assert err.value.actual == 1


async def test_outbox_rows_commit_and_roll_back_with_the_events(
    sessions: async_sessionmaker[AsyncSession], store: EventStore
) -> None:
    with pytest.raises(RuntimeError):
        async with sessions() as s, s.begin():
            await store.append(s, "acct", NO_STREAM, [Withdrawn(amount_fen=1)], subject="P")
            raise RuntimeError("the decision failed after appending")
    async with sessions() as s:
        assert await s.scalar(sa.select(sa.func.count()).select_from(ledger.kernel.events)) == 0
        assert await s.scalar(sa.select(sa.func.count()).select_from(ledger.kernel.outbox)) == 0
    async with sessions() as s, s.begin():
        envs = await store.append(s, "acct", NO_STREAM, [Withdrawn(amount_fen=1), Withdrawn(amount_fen=2)], subject="P")
    async with sessions() as s:
        rows = (await s.execute(sa.select(ledger.kernel.outbox).order_by(ledger.kernel.outbox.c.position))).all()
    assert [dict(r.headers)["ce_id"] for r in rows] == [e.id for e in envs]
    assert all(r.key == "P" for r in rows)


async def test_proof_a_fifty_concurrent_appends_one_wins(sessions: async_sessionmaker[AsyncSession], store: EventStore) -> None:
    """Proof a: 50 writers append to one stream at the same expected version."""
    async with sessions() as s, s.begin():
        await store.append(s, "hot", NO_STREAM, [Withdrawn(amount_fen=0)], subject="P")
    start = asyncio.Event()

    async def writer(i: int) -> str:
        await start.wait()
        try:
            async with sessions() as s, s.begin():
                await store.append(s, "hot", 1, [Withdrawn(amount_fen=i)], subject="P")
            return "ok"
        except ConcurrencyError:
            return "conflict"

    tasks = [asyncio.create_task(writer(i)) for i in range(1, 51)]
    await asyncio.sleep(0.05)
    start.set()
    outcomes = await asyncio.gather(*tasks)
    assert outcomes.count("ok") == 1
    assert outcomes.count("conflict") == 49
    t = ledger.kernel.events
    async with sessions() as s:
        versions = list(
            (await s.execute(sa.select(t.c.stream_version).where(t.c.stream_id == "hot").order_by(t.c.stream_version))).scalars()
        )
    assert versions == [1, 2]


async def test_retrying_decides_again_after_a_conflict(sessions: async_sessionmaker[AsyncSession], store: EventStore) -> None:
    """The command layer reloads and re-decides: 20 concurrent 'withdraw 1 if balance allows'
    commands against a balance of 10 leave exactly 10 withdrawals and no gap."""
    async with sessions() as s, s.begin():
        await store.append(s, "acct", NO_STREAM, [Deposited(account="acct", amount_fen=10)], subject="P")

    async def withdraw_one(session: AsyncSession) -> bool:
        history = await store.load(session, "acct")
        balance = sum(m.event.amount_fen if isinstance(m.event, Deposited) else -m.event.amount_fen for m in history)  # type: ignore[attr-defined]
        if balance <= 0:
            return False
        await store.append(session, "acct", len(history), [Withdrawn(amount_fen=1)], subject="P")
        return True

    results = await asyncio.gather(*(retrying(sessions, withdraw_one, attempts=60) for _ in range(20)))
    assert results.count(True) == 10
    async with sessions() as s:
        history = await store.load(s, "acct")
    assert [m.envelope.streamversion for m in history] == list(range(1, 12))


async def test_a_stream_keeps_its_subject(sessions: async_sessionmaker[AsyncSession], store: EventStore) -> None:
    """The subject is the Kafka key; one stream under two keys could be read out of order."""
    async with sessions() as s, s.begin():
        await store.append(s, "acct", NO_STREAM, [Withdrawn(amount_fen=1)], subject="P1")
    with pytest.raises(ValueError, match="belongs to subject 'P1'"):
        async with sessions() as s, s.begin():
            await store.append(s, "acct", 1, [Withdrawn(amount_fen=2)], subject="P2")
