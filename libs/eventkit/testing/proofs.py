"""Shared helpers of the kernel's fault proofs: generating ledger traffic, worker processes,
reading a topic back, and the projection a log must produce."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eventkit.envelope import Envelope
from eventkit.events import new_envelope
from eventkit.testing import ledger


@dataclass
class Worker:
    """A kernel worker in its own process, which a test kills with SIGKILL and starts again."""

    role: str
    db: str
    bootstrap: str
    topic: str = "ledger.events"
    batch: int = 500
    log: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    kills: int = 0
    instance_id: str | None = None

    def start(self) -> None:
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "eventkit.testing.worker",
                self.role,
                "--db",
                self.db,
                "--bootstrap",
                self.bootstrap,
                "--topic",
                self.topic,
                "--batch",
                str(self.batch),
                *(["--instance-id", self.instance_id] if self.instance_id else []),
            ],
            stdout=out,
            stderr=out,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.kills += 1

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.terminate()
        return self.proc.wait(timeout=60)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def ledger_envelopes(accounts: int, per_account: int, *, payers: int | None = None) -> list[Envelope]:
    """Deposits to `accounts` streams, round-robin, each stream numbered 1..per_account."""
    payers = payers or accounts
    out = []
    for v in range(1, per_account + 1):
        for a in range(accounts):
            out.append(
                new_envelope(
                    ledger.Deposited(account=f"acct-{a}", amount_fen=(a * 7 + v * 13) % 1000 + 1, memo=f"v{v}"),
                    source="/proof",
                    subject=f"payer-{a % payers}",
                    stream_id=f"acct-{a}",
                    stream_version=v,
                    event_id=str(uuid.uuid4()),
                )
            )
    return out


async def produce(bootstrap: str, topic: str, envelopes: list[Envelope]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(topic, value=e.kafka_value(), key=e.key, headers=e.kafka_headers()) for e in envelopes]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def read_topic(bootstrap: str, topic: str, *, expect_distinct: int, timeout_s: float = 120) -> list[Any]:
    """Every record of `topic` (all partitions, from the beginning) once `expect_distinct` event
    ids have been seen or the timeout passed."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        records: list[Any] = []
        ids: set[str] = set()
        deadline = asyncio.get_running_loop().time() + timeout_s
        while len(ids) < expect_distinct and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for recs in batch.values():
                for r in recs:
                    records.append(r)
                    ce_id = dict(r.headers).get("ce_id")
                    ids.add(ce_id.decode() if ce_id else f"{r.partition}@{r.offset}")
        return records
    finally:
        await consumer.stop()


def expected_projection(envelopes: list[Envelope]) -> dict[str, tuple[int, int, str]]:
    """account → (balance, events, chain), computed from the events alone (stream order)."""
    by_stream: dict[str, list[Envelope]] = defaultdict(list)
    for e in envelopes:
        by_stream[e.streamid or ""].append(e)
    result = {}
    for account, evs in by_stream.items():
        evs.sort(key=lambda e: e.streamversion or 0)
        chain = ""
        for e in evs:
            chain = ledger.chain_step(chain, e.id)
        result[account] = (sum(int(e.data["amount_fen"]) for e in evs), len(evs), chain)
    return result


async def actual_projection(sessions: async_sessionmaker[AsyncSession]) -> dict[str, tuple[int, int, str]]:
    async with sessions() as s:
        rows = (await s.execute(sa.select(ledger.balances))).all()
    return {r.account: (r.balance_fen, r.events, r.chain) for r in rows}


async def times_applied(sessions: async_sessionmaker[AsyncSession]) -> dict[int, int]:
    """How many events were applied once, twice, …: {times: count}."""
    async with sessions() as s:
        rows = (
            await s.execute(sa.select(ledger.applied.c.times_applied, sa.func.count()).group_by(ledger.applied.c.times_applied))
        ).all()
    return {int(t): int(n) for t, n in rows}


async def stored_offsets(sessions: async_sessionmaker[AsyncSession], group: str) -> dict[int, int]:
    t = ledger.kernel.consumer_offsets
    async with sessions() as s:
        rows = (await s.execute(sa.select(t.c.partition, t.c.next_offset).where(t.c.consumer_group == group))).all()
    return {int(p): int(o) for p, o in rows}


async def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        ends = await consumer.end_offsets(parts)
        return {tp.partition: off for tp, off in ends.items()}
    finally:
        await consumer.stop()


async def caught_up(sessions: async_sessionmaker[AsyncSession], group: str, ends: dict[int, int]) -> bool:
    stored = await stored_offsets(sessions, group)
    return all(stored.get(p, 0) >= end for p, end in ends.items() if end > 0)
