"""Proof e: a malformed event, an event of unknown type and an event its handler cannot apply go
to `<topic>.dlq` with the error in headers, are counted, and the consumer carries on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from eventkit.consumer import ConsumerRunner
from eventkit.db import make_engine, make_sessionmaker
from eventkit.deadletter import DeadLetters
from eventkit.envelope import Envelope
from eventkit.events import Message, new_envelope
from eventkit.kafka import TopicSpec, dlq_topic, ensure_topics, make_producer
from eventkit.processing import Subscription
from eventkit.testing import ledger
from eventkit.testing.proofs import caught_up, end_offsets, produce, read_topic


def _deposit(account: str, amount: int, memo: str = "", version: int = 1) -> Envelope:
    return new_envelope(
        ledger.Deposited(account=account, amount_fen=amount, memo=memo),
        source="/proof",
        subject="payer-1",
        stream_id=account,
        stream_version=version,
    )


async def _apply_or_refuse(session: AsyncSession, msg: Message) -> None:
    if isinstance(msg.event, ledger.Deposited) and msg.event.memo == "refuse":
        raise ValueError("account is frozen")  # a handler that cannot apply this event, ever
    await ledger.apply(session, msg)


async def _consume_to_the_end(
    kafka_bootstrap: str, db: str, group: str, topic: str, producer: Any, rounds: int
) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    """A consumer of `topic` on a fresh ledger database, run until it has caught up with the
    topic's end (at most `rounds` half-seconds); the producer is its dead-letter producer."""
    engine = make_engine(db)
    async with engine.begin() as conn:
        await conn.run_sync(ledger.metadata.create_all)
    sessions = make_sessionmaker(engine)
    sub = Subscription(group=group, topics=(topic,), handler=_apply_or_refuse, registry=ledger.registry)
    runner = ConsumerRunner(
        service="proof", bootstrap=kafka_bootstrap, sessions=sessions, tables=ledger.kernel, subscription=sub,
        dead_letters=DeadLetters(service="proof", producer=producer),
    )  # fmt: skip
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    ends = await end_offsets(kafka_bootstrap, topic)
    try:
        for _ in range(rounds):
            if await caught_up(sessions, group, ends):
                break
            await asyncio.sleep(0.5)
    finally:
        stop.set()
        await task
        await producer.stop()
    return engine, sessions


def _dead_lettered(group: str, reason: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "eventkit_events_dead_lettered_total",
            {"service": "proof", "group": group, "topic": _dead_lettered.topic, "reason": reason},
        )
        or 0.0
    )


async def test_poison_events_are_dead_lettered_and_the_consumer_carries_on(
    kafka_bootstrap: str, new_pg_database: Callable[[str], str]
) -> None:
    topic = f"proof-e-{int(time.time() * 1000)}"
    _dead_lettered.topic = topic  # type: ignore[attr-defined]
    await ensure_topics(kafka_bootstrap, TopicSpec(topic, 1).with_dlq())
    good_before = _deposit("acct-1", 100, version=1)
    unknown = new_envelope(
        ledger.Withdrawn(amount_fen=1), source="/proof", subject="payer-1", stream_id="acct-1", stream_version=2
    )
    unknown = Envelope(**{**unknown.__dict__, "type": "relief.ledger.Teleported.v1"})
    refused = _deposit("acct-1", 5, memo="refuse", version=3)
    good_after = _deposit("acct-1", 20, version=4)
    await produce(kafka_bootstrap, topic, [good_before])
    producer = make_producer(kafka_bootstrap, client_id="proof-e")
    await producer.start()
    await producer.send_and_wait(topic, b"{not json", key=b"payer-1", headers=list(good_before.kafka_headers()))
    await producer.send_and_wait(topic, b'{"amount_fen": 1}', key=b"payer-1", headers=[("content-type", b"application/json")])
    await produce(kafka_bootstrap, topic, [unknown, refused, good_after])

    before = {r: _dead_lettered("proof-e", r) for r in ("malformed", "unknown_type", "handler_error")}
    engine, sessions = await _consume_to_the_end(kafka_bootstrap, new_pg_database("dlq"), "proof-e", topic, producer, 120)

    async with sessions() as s:
        row = (await s.execute(sa.select(ledger.balances))).one()
        applied_ids = set((await s.execute(sa.select(ledger.applied.c.event_id))).scalars())
    assert (row.account, row.balance_fen, row.events) == ("acct-1", 120, 2)  # both good deposits, nothing else
    assert applied_ids == {good_before.id, good_after.id}

    dead = await read_topic(kafka_bootstrap, dlq_topic(topic), expect_distinct=4, timeout_s=30)
    reasons = [dict(r.headers)["dlq_reason"].decode() for r in dead]
    assert sorted(reasons) == ["handler_error", "malformed", "malformed", "unknown_type"]
    by_reason = {dict(r.headers)["dlq_reason"].decode(): dict(r.headers) for r in dead}
    assert b"Teleported" in by_reason["unknown_type"]["dlq_error"]
    assert b"account is frozen" in by_reason["handler_error"]["dlq_error"]
    assert all(dict(r.headers)["dlq_topic"].decode() == topic and dict(r.headers)["dlq_group"] == b"proof-e" for r in dead)
    # the original record travels unchanged, so it can be repaired and replayed
    assert {bytes(r.value) for r in dead} >= {b"{not json", refused.kafka_value(), unknown.kafka_value()}
    after = {r: _dead_lettered("proof-e", r) for r in before}
    assert {r: after[r] - before[r] for r in before} == {"malformed": 2.0, "unknown_type": 1.0, "handler_error": 1.0}
    await engine.dispose()


async def test_a_tolerant_reader_skips_other_services_events_it_does_not_need(
    kafka_bootstrap: str, new_pg_database: Callable[[str], str]
) -> None:
    """`Subscription.ignore`: events of another service whose names this reader does not know are
    skipped without a dead letter; an unknown name outside the ignored prefixes, and a newer
    version of a name it knows, are still dead-lettered."""
    topic = f"proof-e-ignore-{int(time.time() * 1000)}"
    await ensure_topics(kafka_bootstrap, TopicSpec(topic, 1).with_dlq())
    first = _deposit("acct-9", 100, version=1)
    other = new_envelope(ledger.Withdrawn(amount_fen=1), source="/other", subject="payer-1")
    other = Envelope(**{**other.__dict__, "type": "relief.other.SomethingElse.v1"})
    unknown = Envelope(**{**other.__dict__, "id": "unknown-1", "type": "relief.ledger.Teleported.v1"})
    newer = Envelope(**{**first.__dict__, "id": "newer-1", "type": "relief.ledger.Deposited.v9"})
    last = _deposit("acct-9", 20, version=2)
    await produce(kafka_bootstrap, topic, [first, other, unknown, newer, last])

    sub = Subscription(
        group="proof-e-ignore", topics=(topic,), handler=ledger.apply, registry=ledger.registry, ignore=("other.",)
    )
    assert sub.ignores("relief.other.SomethingElse.v1")
    assert not sub.ignores("relief.ledger.Teleported.v1") and not sub.ignores("relief.ledger.Deposited.v9")
    db = new_pg_database("ignore")
    engine = make_engine(db)
    async with engine.begin() as conn:
        await conn.run_sync(ledger.metadata.create_all)
    sessions = make_sessionmaker(engine)
    producer = make_producer(kafka_bootstrap, client_id="proof-e-ignore")
    await producer.start()
    runner = ConsumerRunner(
        service="proof",
        bootstrap=kafka_bootstrap,
        sessions=sessions,
        tables=ledger.kernel,
        subscription=sub,
        dead_letters=DeadLetters(service="proof", producer=producer),
    )
    ignored_before = (
        REGISTRY.get_sample_value(
            "eventkit_events_ignored_total", {"service": "proof", "group": "proof-e-ignore", "topic": topic}
        )
        or 0.0
    )
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    ends = await end_offsets(kafka_bootstrap, topic)
    try:
        for _ in range(120):
            if await caught_up(sessions, "proof-e-ignore", ends):
                break
            await asyncio.sleep(0.5)
    finally:
        stop.set()
        await task
        await producer.stop()
    async with sessions() as s:
        row = (await s.execute(sa.select(ledger.balances))).one()
    assert (row.balance_fen, row.events) == (120, 2)
    dead = await read_topic(kafka_bootstrap, dlq_topic(topic), expect_distinct=2, timeout_s=30)
    assert sorted(bytes(dict(r.headers)["ce_type"]).decode() for r in dead) == [
        "relief.ledger.Deposited.v9",
        "relief.ledger.Teleported.v1",
    ]
    ignored = REGISTRY.get_sample_value(
        "eventkit_events_ignored_total", {"service": "proof", "group": "proof-e-ignore", "topic": topic}
    )
    assert ignored == ignored_before + 1
    await engine.dispose()


async def test_a_flood_of_poison_is_dead_lettered_whole_in_order_while_the_good_events_apply(
    kafka_bootstrap: str, new_pg_database: Callable[[str], str]
) -> None:
    """Poison records arrive in batches: every one of a batch is dead-lettered before the offset
    moves past it, all in one go, in the order they came, none twice; the good ones between apply."""
    topic = f"proof-e-flood-{int(time.time() * 1000)}"
    await ensure_topics(kafka_bootstrap, TopicSpec(topic, 1).with_dlq())
    producer = make_producer(kafka_bootstrap, client_id="proof-e-flood")
    await producer.start()
    poison_offsets, good = [], []
    for i in range(600):
        if i % 4 == 3:
            envelope = _deposit("acct-f", 1, version=len(good) + 1)
            meta = await producer.send_and_wait(
                topic, envelope.kafka_value(), key=b"payer-1", headers=list(envelope.kafka_headers())
            )
            good.append(envelope.id)
        else:
            bad = b"{not json" if i % 2 else _deposit("acct-f", 1, memo="refuse").kafka_value()
            headers = list(_deposit("acct-f", 1).kafka_headers())
            meta = await producer.send_and_wait(topic, bad, key=b"payer-1", headers=headers)
            poison_offsets.append(meta.offset)
    db = new_pg_database("dlqflood")
    engine, sessions = await _consume_to_the_end(kafka_bootstrap, db, "proof-e-flood", topic, producer, 240)
    async with sessions() as s:
        applied_ids = list((await s.execute(sa.select(ledger.applied.c.event_id))).scalars())
    assert sorted(applied_ids) == sorted(good) and len(good) == 150
    dead = await read_topic(kafka_bootstrap, dlq_topic(topic), expect_distinct=len(poison_offsets), timeout_s=30)
    offsets = [int(dict(r.headers)["dlq_offset"]) for r in sorted(dead, key=lambda r: r.offset)]
    assert offsets == poison_offsets  # every poison record once, in the order it came
    await engine.dispose()
