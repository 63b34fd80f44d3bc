"""Kernel throughput benchmark: the eventkit path against bare aiokafka, on real infrastructure.

    .venv/bin/python bench/kernel_bench.py [--events N] [--size BYTES] [--db sqlite|postgresql]
        [--partitions P] [--bootstrap HOST:PORT] [--pg-url URL] [--profile DIR] ...

Prints ONE JSON object on stdout; progress and logs go to stderr. See bench/README.md for what is
measured and how to read the ratios. Exits non-zero (and prints no JSON) if any correctness
check fails: every event must be published exactly once, applied exactly once by the projection,
and the raw baseline must read back every message it wrote.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import math
import os
import platform
import pstats
import resource
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from devstack import create_topics
from eventkit.consumer import ConsumerRunner
from eventkit.db import make_engine, make_sessionmaker
from eventkit.deadletter import DeadLetters
from eventkit.envelope import encode_data
from eventkit.events import Message, new_envelope
from eventkit.kafka import TopicSpec, ensure_topics, make_producer
from eventkit.outbox import OutboxRelay
from eventkit.processing import Subscription
from eventkit.store import EventStore
from eventkit.testing import ledger

KAFKA_VERSION = "3.9.1"
RELAY_BATCH = 1000  # OutboxRelay's default, as ServiceRuntime builds it
CONSUMER_MAX_RECORDS = 1000  # ConsumerRunner's default


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class BenchFailure(RuntimeError):
    """A correctness check failed: the figures of this run are not to be trusted."""


def check(cond: bool, what: str) -> None:
    if not cond:
        raise BenchFailure(what)


# ----------------------------------------------------------------------------- workload shape
def payer_code(p: int) -> str:
    """An 18-character key shaped like a unified social credit code (the platform's Kafka key)."""
    return f"9131{p:014d}"


def account_name(s: int) -> str:
    return f"acct-{s:07d}"


def amount_of(stream: int, version: int) -> int:
    return (stream * 7 + version * 13) % 1000 + 1


def memo_for(size: int) -> str:
    """The memo that makes a Deposited's JSON data about `size` bytes (never below the bare event)."""
    bare = len(encode_data(ledger.Deposited(account=account_name(0), amount_fen=999, memo="").to_data()))
    return "m" * max(0, size - bare)


@dataclass(frozen=True)
class Append:
    stream: int
    expected_version: int
    count: int


def plan_appends(events: int, per_append: int, streams: int) -> list[Append]:
    """ceil(events / per_append) appends, round-robin over the streams (so each stream grows in
    several transactions and streams interleave), the last one short if events is not a multiple."""
    plan: list[Append] = []
    versions = [0] * streams
    left = events
    i = 0
    while left > 0:
        s = i % streams
        n = min(per_append, left)
        plan.append(Append(s, versions[s], n))
        versions[s] += n
        left -= n
        i += 1
    return plan


# ----------------------------------------------------------------------------- infrastructure
@dataclass
class Infra:
    workdir: Path
    bootstrap: str
    db_kind: str
    pg_server_dsn: str | None  # plain postgresql:// URL of a maintenance database, for CREATE DATABASE
    kafka: Any = None  # devstack.KafkaBroker when we started it
    pg: Any = None  # devstack.PostgresCluster when we started it
    created_dbs: list[str] = field(default_factory=list)
    created_topics: list[str] = field(default_factory=list)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])  # names of databases and topics

    @property
    def kafka_version(self) -> str:
        return KAFKA_VERSION if self.kafka is not None else "external"

    async def new_database(self, name: str) -> str:
        """A fresh, empty database of this run; returns its SQLAlchemy URL."""
        name = f"{name}_{self.run_id}"
        if self.db_kind == "sqlite":
            path = self.workdir / f"{name}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            return f"sqlite+aiosqlite:///{path}"
        import asyncpg

        assert self.pg_server_dsn is not None
        conn = await asyncpg.connect(self.pg_server_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.created_dbs.append(name)
        url = sa.engine.make_url(self.pg_server_dsn).set(drivername="postgresql+asyncpg", database=name)
        return url.render_as_string(hide_password=False)

    async def drop_created(self) -> None:
        """Only for infrastructure we did not start: remove the databases and topics we made."""
        if self.pg is None and self.created_dbs and self.pg_server_dsn:
            import asyncpg

            conn = await asyncpg.connect(self.pg_server_dsn)
            try:
                for name in self.created_dbs:
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()
        if self.kafka is None and self.created_topics:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
            await admin.start()
            try:
                await admin.delete_topics(self.created_topics)
            finally:
                await admin.close()

    def our_cpu_s(self) -> float:
        """CPU seconds used so far by this process (and its children, e.g. the broker we started)
        and by the PostgreSQL cluster we started (pg_ctl detaches it, so it is not our child)."""
        pids = [os.getpid()]
        if self.pg is not None and self.pg.postmaster_pid():
            pids.append(self.pg.postmaster_pid())
        return sum(_tree_cpu(pid) for pid in pids)

    def infra_rss_mib(self) -> dict[str, float]:
        out: dict[str, float] = {}
        if self.kafka is not None and self.kafka.pid:
            out["kafka_jvm"] = round(_tree_rss(self.kafka.pid) / 2**20, 1)
        if self.pg is not None and self.pg.postmaster_pid():
            out["postgres"] = round(_tree_rss(self.pg.postmaster_pid()) / 2**20, 1)
        return out


def _tree_cpu(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        total = 0.0
        for p in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                total += t.user + t.system
        return total
    except psutil.Error:
        return 0.0


def _tree_rss(pid: int) -> int:
    try:
        root = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
    except psutil.Error:
        return 0


@contextlib.contextmanager
def infrastructure(args: argparse.Namespace) -> Iterator[Infra]:
    """Start Kafka / PostgreSQL unless given, in a temp dir on free ports; always torn down."""
    workdir = Path(tempfile.mkdtemp(prefix="kernel-bench-"))
    os.chmod(workdir, 0o755)  # the postgres OS user (when we run as root) must reach its data dir
    infra = Infra(workdir=workdir, bootstrap=args.bootstrap or "", db_kind=args.db, pg_server_dsn=None)
    try:
        if args.db == "postgresql":
            if args.pg_url:
                url = args.pg_url
                for prefix in ("postgresql+asyncpg://", "postgres://"):
                    if url.startswith(prefix):
                        url = "postgresql://" + url[len(prefix) :]
                infra.pg_server_dsn = url
            else:
                from devstack import PostgresCluster

                log("starting PostgreSQL")
                infra.pg = PostgresCluster(workdir / "pg")
                infra.pg.start()
                infra.pg_server_dsn = infra.pg.dsn("postgres")
                log(f"PostgreSQL on 127.0.0.1:{infra.pg.port}")
        if not args.bootstrap:
            from devstack import KafkaBroker, ensure_kafka_jars

            ensure_kafka_jars()
            log("starting Kafka")
            infra.kafka = KafkaBroker(workdir / "kafka")
            infra.kafka.start()
            infra.bootstrap = infra.kafka.bootstrap
            log(f"Kafka {KAFKA_VERSION} on {infra.bootstrap}")
        yield infra
    finally:
        log("tearing down")
        if infra.kafka is not None:
            with contextlib.suppress(Exception):
                infra.kafka.stop()
        if infra.pg is not None:
            with contextlib.suppress(Exception):
                infra.pg.stop(mode="immediate")
        shutil.rmtree(workdir, ignore_errors=True)


# ----------------------------------------------------------------------------- profiling
def cpu_calibration_ms() -> float:
    """Best of 5 runs of a fixed pure-Python workload (JSON round trips of a 1 KiB dict): a
    yardstick of how fast this machine ran Python around the run. On a shared VM it moves by tens
    of per cent; compare runs only when it is similar."""
    data = {"account": account_name(1), "amount_fen": 999, "memo": "m" * 980}
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(10_000):
            json.loads(json.dumps(data, sort_keys=True))
        best = min(best, time.perf_counter() - t0)
    return round(best * 1000, 1)


def _busy_cpu_s() -> float:
    """CPU seconds the whole machine spent busy (all cores) since boot."""
    t = psutil.cpu_times()
    return float(sum(getattr(t, f) for f in ("user", "nice", "system", "irq", "softirq", "steal") if hasattr(t, f)))


class Profiler:
    """Per-phase accounting: wall time, this process's CPU, CPU used by processes that are not
    ours (other work on a shared machine skews the figures), and cProfile when --profile DIR is
    given (the figures of a profiled run are slower)."""

    def __init__(self, directory: Path | None, top: int, our_cpu: Callable[[], float] | None = None) -> None:
        self.directory = directory
        self.top = top
        self.our_cpu = our_cpu  # CPU seconds of the bench, its broker and its database so far
        self.cpu: dict[str, float] = {}  # this process's CPU seconds (all threads) per phase
        self.wall: dict[str, float] = {}
        self.foreign: dict[str, float] = {}  # cores used by other processes, on average
        if directory:
            directory.mkdir(parents=True, exist_ok=True)

    @contextlib.asynccontextmanager
    async def phase(self, name: str) -> AsyncIterator[None]:
        ours0 = self.our_cpu() if self.our_cpu else 0.0
        busy0 = _busy_cpu_s()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        try:
            if self.directory is None:
                yield
            else:
                async with self._profiled(name):
                    yield
        finally:
            self.cpu[name] = time.process_time() - cpu0
            self.wall[name] = time.perf_counter() - wall0
            if self.our_cpu is not None and self.wall[name] > 0:
                foreign = (_busy_cpu_s() - busy0) - (self.our_cpu() - ours0)
                self.foreign[name] = max(0.0, foreign) / self.wall[name]

    @contextlib.asynccontextmanager
    async def _profiled(self, name: str) -> AsyncIterator[None]:
        assert self.directory is not None
        prof = cProfile.Profile()
        prof.enable()
        try:
            yield
        finally:
            prof.disable()
            path = self.directory / f"{name}.prof"
            prof.dump_stats(str(path))
            for sort in ("tottime", "cumulative"):
                buf = io.StringIO()
                pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(sort).print_stats(self.top)
                (self.directory / f"{name}.{sort}.txt").write_text(buf.getvalue())
            log(f"profile of {name} written to {path} (+ .tottime.txt / .cumulative.txt)")


# ----------------------------------------------------------------------------- kernel path
class CountingRelay(OutboxRelay):
    """The kernel's relay, unchanged, recording the size of each batch it publishes."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.batches: list[int] = []

    async def publish_batch(self) -> int:
        n = await super().publish_batch()
        if n:
            self.batches.append(n)
        return n


@dataclass
class Database:
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    store: EventStore


async def open_database(infra: Infra, name: str, topic: str) -> Database:
    url = await infra.new_database(name)
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(ledger.metadata.create_all)
    sessions = make_sessionmaker(engine)
    store = EventStore(service="bench", source="/bench", topic=topic, tables=ledger.kernel, registry=ledger.registry)
    return Database(url, engine, sessions, store)


async def append_all(db: Database, plan: list[Append], writers: int, memo: str, payers: int, counter: list[int]) -> None:
    """Each writer owns the streams s with s % writers == its index (one writer per stream, as a
    stream's commands are serialised in practice); one stream per transaction."""

    async def writer(w: int) -> None:
        for a in plan:
            if a.stream % writers != w:
                continue
            account = account_name(a.stream)
            events = [
                ledger.Deposited(account=account, amount_fen=amount_of(a.stream, a.expected_version + i + 1), memo=memo)
                for i in range(a.count)
            ]
            async with db.sessions() as session, session.begin():
                await db.store.append(session, account, a.expected_version, events, subject=payer_code(a.stream % payers))
            counter[0] += a.count

    await asyncio.gather(*(writer(w) for w in range(writers)))


@contextlib.asynccontextmanager
async def reporting(every_s: float, what: Callable[[], str]) -> AsyncIterator[None]:
    async def loop() -> None:
        while True:
            await asyncio.sleep(every_s)
            log(what())

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def outbox_backlog(db: Database) -> int:
    async with db.sessions() as s:
        return int(await s.scalar(sa.select(sa.func.count()).select_from(ledger.kernel.outbox)) or 0)


async def partitions_ready(bootstrap: str, specs: list[TopicSpec]) -> None:
    """ensure_topics returns once the names are listed; a produce right after can still meet
    NotLeaderForPartition (and back off) on a fresh KRaft topic. Wait until every partition has
    a leader and answers ListOffsets, so no timed phase starts with retries."""
    await create_topics(bootstrap, [(s.name, s.partitions, s.config) for s in specs])  # waits for leaders
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        await consumer.end_offsets([TopicPartition(s.name, p) for s in specs for p in range(s.partitions)])
    finally:
        await consumer.stop()


async def topic_end_total(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        return sum((await consumer.end_offsets(parts)).values())
    finally:
        await consumer.stop()


async def kernel_append_publish(
    args: argparse.Namespace, infra: Infra, db: Database, topic: str, plan: list[Append], memo: str, prof: Profiler
) -> dict[str, float]:
    """Appends with the relay publishing concurrently; done when every event is acknowledged."""
    n = args.events
    producer = make_producer(infra.bootstrap, client_id="bench-relay")
    await producer.start()
    stop = asyncio.Event()
    relay = CountingRelay(
        service="bench",
        sessions=db.sessions,
        tables=ledger.kernel,
        producer=producer,
        wakeup=db.store.committed,
        batch_size=RELAY_BATCH,
    )
    relay_task = asyncio.create_task(relay.run(stop))
    appended = [0]
    try:
        await asyncio.sleep(0.3)  # the relay is up and idle
        async with (
            prof.phase("append_publish"),
            reporting(5, lambda: f"  appended {appended[0]:,}, published {relay.published:,}"),
        ):
            t0 = time.perf_counter()
            await append_all(db, plan, args.writers, memo, args.payers, appended)
            t_appended = time.perf_counter()
            while relay.published < n:
                if relay_task.done():
                    relay_task.result()
                    raise BenchFailure("the relay stopped before publishing everything")
                await asyncio.sleep(0.005)
            t_end = time.perf_counter()
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(relay_task, 30)
        await producer.stop()
    check(relay.published == n, f"relay published {relay.published}, expected {n}")
    check(await outbox_backlog(db) == 0, "outbox not empty after every event was acknowledged")
    batches = relay.batches
    return {
        "append_publish_s": t_end - t0,
        "append_under_relay_s": t_appended - t0,
        "relay_batches": len(batches),
        "relay_mean_batch": sum(batches) / len(batches) if batches else 0.0,
    }


async def kernel_split(
    args: argparse.Namespace, infra: Infra, topic: str, plan: list[Append], memo: str, prof: Profiler
) -> dict[str, float]:
    """Append-only (no relay running), then the relay alone draining the full outbox."""
    db = await open_database(infra, "bench_split", topic)
    try:
        appended = [0]
        async with prof.phase("append_only"), reporting(5, lambda: f"  appended {appended[0]:,} (no relay)"):
            t0 = time.perf_counter()
            await append_all(db, plan, args.writers, memo, args.payers, appended)
            t_append = time.perf_counter() - t0
        check(await outbox_backlog(db) == args.events, "outbox does not hold every appended event")
        producer = make_producer(infra.bootstrap, client_id="bench-relay-split")
        await producer.start()
        try:
            relay = CountingRelay(
                service="bench", sessions=db.sessions, tables=ledger.kernel, producer=producer, batch_size=RELAY_BATCH
            )
            async with prof.phase("relay_only"), reporting(5, lambda: f"  relayed {relay.published:,}"):
                t0 = time.perf_counter()
                await relay.drain(timeout_s=3600)
                t_relay = time.perf_counter() - t0
        finally:
            await producer.stop()
        check(relay.published == args.events, f"split relay published {relay.published}, expected {args.events}")
        return {"append_only_s": t_append, "relay_only_s": t_relay}
    finally:
        await db.engine.dispose()


async def kernel_consume(
    args: argparse.Namespace, infra: Infra, db: Database, subscription: Subscription, phase: str, prof: Profiler
) -> tuple[float, float]:
    """ConsumerRunner.run_until_end over the whole topic; returns (seconds, mean records per
    PartitionProcessor.process call, i.e. per database transaction)."""
    producer = make_producer(infra.bootstrap, client_id=f"bench-{phase}-dlq")
    await producer.start()
    try:
        runner = ConsumerRunner(
            service="bench",
            bootstrap=infra.bootstrap,
            sessions=db.sessions,
            tables=ledger.kernel,
            subscription=subscription,
            dead_letters=DeadLetters(service="bench", producer=producer),
            max_records=CONSUMER_MAX_RECORDS,
        )
        batches: list[int] = []
        process = runner.processor.process

        async def counting_process(tp: TopicPartition, records: Any) -> int:
            batches.append(len(records))
            return await process(tp, records)

        runner.processor.process = counting_process  # type: ignore[method-assign]
        done = [0]
        async with prof.phase(phase), reporting(5, lambda: f"  {phase}: applied {done[0]:,}"):
            t0 = time.perf_counter()
            read, total = await runner.run_until_end(progress=lambda k: done.__setitem__(0, done[0] + k))
            seconds = time.perf_counter() - t0
    finally:
        await producer.stop()
    check(read == args.events and total == args.events, f"{phase}: read {read} of {total} records, expected {args.events}")
    return seconds, sum(batches) / len(batches) if batches else 0.0


async def verify_projection(db: Database, n: int, group: str) -> None:
    """The ledger projection equals what the event store says, each event applied exactly once."""
    ev = ledger.kernel.events
    async with db.sessions() as s:
        rows = (await s.execute(sa.select(ev.c.event_id, ev.c.stream_id, ev.c.stream_version, ev.c.data))).all()
        applied_count = int(await s.scalar(sa.select(sa.func.count()).select_from(ledger.applied)) or 0)
        times = (
            await s.execute(sa.select(ledger.applied.c.times_applied, sa.func.count()).group_by(ledger.applied.c.times_applied))
        ).all()
        balances = {r.account: (r.balance_fen, r.events, r.chain) for r in (await s.execute(sa.select(ledger.balances))).all()}
        processed = int(
            await s.scalar(
                sa.select(sa.func.count())
                .select_from(ledger.kernel.processed_events)
                .where(ledger.kernel.processed_events.c.consumer_group == group)
            )
            or 0
        )
    check(len(rows) == n, f"event store holds {len(rows)} events, expected {n}")
    check(applied_count == n, f"projection applied {applied_count} events, expected {n}")
    check({int(t): int(c) for t, c in times} == {1: n}, f"events applied more than once: {times}")
    check(processed == n, f"{group} recorded {processed} processed events, expected {n}")
    by_stream: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        by_stream[r.stream_id].append(r)
    expected = {}
    for account, evs in by_stream.items():
        evs.sort(key=lambda r: r.stream_version)
        check([r.stream_version for r in evs] == list(range(1, len(evs) + 1)), f"{account}: stream versions have gaps")
        chain = ""
        for r in evs:
            chain = ledger.chain_step(chain, r.event_id)
        expected[account] = (sum(int(r.data["amount_fen"]) for r in evs), len(evs), chain)
    check(balances == expected, "projected balances/chains differ from the event store (order or duplicates)")


async def _noop(_session: AsyncSession, _msg: Message) -> None:
    return None


# ----------------------------------------------------------------------------- raw aiokafka baseline
def raw_messages(memo: str, payers: int, distinct: int = 1000) -> list[tuple[bytes, list[tuple[str, bytes]]]]:
    """Values and headers exactly as the kernel puts them on the wire (CloudEvents binary mode),
    a pool of `distinct` reused round-robin (no compression, so reuse does not flatter Kafka)."""
    out = []
    for i in range(distinct):
        env = new_envelope(
            ledger.Deposited(account=account_name(i), amount_fen=amount_of(i, 1), memo=memo),
            source="/bench",
            subject=payer_code(i % payers),
            stream_id=account_name(i),
            stream_version=1,
        )
        out.append((env.kafka_value(), env.kafka_headers()))
    return out


async def raw_produce(args: argparse.Namespace, infra: Infra, topic: str, memo: str, prof: Profiler) -> float:
    pool = raw_messages(memo, args.payers)
    keys = [payer_code(p).encode() for p in range(args.payers)]
    streams = args.streams
    # The kernel's producer settings (eventkit.kafka.make_producer), written out on a bare client.
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.bootstrap,
        client_id="bench-raw",
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=512 * 1024,
        request_timeout_ms=30000,
    )
    await producer.start()
    try:
        n, chunk = args.events, RELAY_BATCH
        async with prof.phase("raw_produce"):
            t0 = time.perf_counter()
            for start in range(0, n, chunk):
                futures = []
                for i in range(start, min(n, start + chunk)):
                    value, headers = pool[i % len(pool)]
                    # the key of the i-th event of the kernel workload (stream round-robin → payer)
                    key = keys[(i // args.per_append % streams) % args.payers]
                    futures.append(await producer.send(topic, value=value, key=key, headers=headers))
                await asyncio.gather(*futures)
            seconds = time.perf_counter() - t0
    finally:
        await producer.stop()
    return seconds


async def raw_consume(args: argparse.Namespace, infra: Infra, topic: str, prof: Profiler) -> tuple[float, int]:
    async with prof.phase("raw_consume"):
        t0 = time.perf_counter()
        consumer = AIOKafkaConsumer(
            bootstrap_servers=infra.bootstrap, group_id=None, enable_auto_commit=False, client_id="bench-raw"
        )
        await consumer.start()
        try:
            parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            count, nbytes = 0, 0
            deadline = time.monotonic() + max(120.0, args.events / 500)
            while count < args.events and time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=1000, max_records=CONSUMER_MAX_RECORDS)
                for records in batch.values():
                    count += len(records)
                    nbytes += sum(len(r.value) for r in records)
            seconds = time.perf_counter() - t0
        finally:
            await consumer.stop()
    check(count == args.events, f"raw consumer read {count} messages, expected {args.events}")
    return seconds, nbytes


# ----------------------------------------------------------------------------- the run
async def run(args: argparse.Namespace, infra: Infra) -> dict[str, Any]:
    prof = Profiler(Path(args.profile) if args.profile else None, args.profile_top, our_cpu=infra.our_cpu_s)
    n, p = args.events, args.partitions
    topics = {k: f"bench.{k}.{infra.run_id}" for k in ("kernel", "split", "raw")}
    specs = [s for t in topics.values() for s in TopicSpec(t, p).with_dlq()]
    await ensure_topics(infra.bootstrap, specs)
    await partitions_ready(infra.bootstrap, specs)
    infra.created_topics += [s.name for s in specs]
    memo = memo_for(args.size)
    data_bytes = len(encode_data(ledger.Deposited(account=account_name(0), amount_fen=999, memo=memo).to_data()))
    plan = plan_appends(n, args.per_append, args.streams)
    log(
        f"{n:,} events of ~{data_bytes} B data, {len(plan):,} appends of {args.per_append} over {args.streams:,} streams "
        f"/ {args.payers:,} payer keys, {args.writers} writers, {p} partitions, {args.db}"
    )
    kernel: dict[str, Any] = {}
    seconds: dict[str, float] = {}

    log("kernel: append + concurrent relay")
    db = await open_database(infra, "bench_kernel", topics["kernel"])
    try:
        r = await kernel_append_publish(args, infra, db, topics["kernel"], plan, memo, prof)
        seconds["append_publish"] = r["append_publish_s"]
        seconds["append_under_relay"] = r["append_under_relay_s"]
        check(await topic_end_total(infra.bootstrap, topics["kernel"]) == n, "kernel topic does not hold exactly N records")
        log(
            f"  {n / r['append_publish_s']:,.0f} events/s (relay: {r['relay_batches']} batches, mean {r['relay_mean_batch']:.0f})"
        )

        log("kernel: consume + project (ConsumerRunner.run_until_end, ledger projection)")
        proj = ledger.projection(topics["kernel"])
        seconds["consume_project"], consume_batch = await kernel_consume(
            args, infra, db, proj.subscription(), "consume_project", prof
        )
        await verify_projection(db, n, proj.group)
        log(f"  {n / seconds['consume_project']:,.0f} events/s; projection verified")

        if not args.no_noop:
            log("kernel: consume with a no-op handler (kernel bookkeeping only)")
            sub = Subscription(group="bench.noop", topics=(topics["kernel"],), handler=_noop, registry=ledger.registry)
            seconds["consume_noop"], _ = await kernel_consume(args, infra, db, sub, "consume_noop", prof)
            log(f"  {n / seconds['consume_noop']:,.0f} events/s")
    finally:
        await db.engine.dispose()

    if not args.no_split:
        log("kernel: append only (no relay), then relay only (draining the full outbox)")
        split = await kernel_split(args, infra, topics["split"], plan, memo, prof)
        seconds["append_only"] = split["append_only_s"]
        seconds["relay_only"] = split["relay_only_s"]
        log(f"  append {n / split['append_only_s']:,.0f} events/s, relay {n / split['relay_only_s']:,.0f} events/s")

    log("raw aiokafka: produce")
    seconds["raw_produce"] = await raw_produce(args, infra, topics["raw"], memo, prof)
    check(await topic_end_total(infra.bootstrap, topics["raw"]) == n, "raw topic does not hold exactly N records")
    log(f"  {n / seconds['raw_produce']:,.0f} msgs/s")
    log("raw aiokafka: consume")
    seconds["raw_consume"], _ = await raw_consume(args, infra, topics["raw"], prof)
    log(f"  {n / seconds['raw_consume']:,.0f} msgs/s")

    def rate(k: str) -> float | None:
        return round(n / seconds[k], 1) if k in seconds else None

    kernel = {
        "append_publish_events_per_s": rate("append_publish"),
        "consume_project_events_per_s": rate("consume_project"),
        "append_only_events_per_s": rate("append_only"),
        "relay_only_events_per_s": rate("relay_only"),
        "append_under_relay_events_per_s": rate("append_under_relay"),
        "consume_noop_handler_events_per_s": rate("consume_noop"),
        "relay_batches": r["relay_batches"],
        "relay_mean_batch": round(r["relay_mean_batch"], 1),
        "consume_mean_batch": round(consume_batch, 1),
    }
    raw = {"produce_msgs_per_s": rate("raw_produce"), "consume_msgs_per_s": rate("raw_consume")}
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {
        "events": n,
        "data_bytes": args.size,
        "database": args.db,
        "partitions": p,
        "kernel": kernel,
        "raw_aiokafka": raw,
        "ratios": {
            "append_publish_vs_raw_produce": round(seconds["raw_produce"] / seconds["append_publish"], 4),
            "consume_project_vs_raw_consume": round(seconds["raw_consume"] / seconds["consume_project"], 4),
        },
        "peak_rss_mib": round(rss_self, 1),
        "infra_rss_mib": infra.infra_rss_mib(),
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        # CPU time of this process per phase / its wall time: near 1.0 means the Python side (one
        # core, the event loop plus aiosqlite's threads) is the bottleneck, not the servers.
        "bench_process_cpu_share": {k: round(prof.cpu[k] / prof.wall[k], 2) for k in prof.cpu if prof.wall[k] > 0},
        # Cores' worth of CPU used during each phase by processes that are not the bench, its
        # broker or its database (with --bootstrap/--pg-url the external servers count here).
        # Well above 0 means the machine was shared and the phase's figure is pessimistic.
        "foreign_cpu_cores": {k: round(v, 2) for k, v in prof.foreign.items()},
        "workload": {
            "actual_data_bytes": data_bytes,
            "events_per_append": args.per_append,
            "appends": len(plan),
            "streams": args.streams,
            "payer_keys": args.payers,
            "writers": args.writers,
            "relay_batch_size": RELAY_BATCH,
            "consumer_max_records": CONSUMER_MAX_RECORDS,
            "profiled": bool(args.profile),
        },
        "python": platform.python_version(),
        "kafka": infra.kafka_version,
        "machine": {
            "cpus": os.cpu_count(),
            "mem_gib": round(psutil.virtual_memory().total / 2**30, 1),
            # 1-minute load average before the bench started its servers: other work on the box.
            "loadavg_before": args.loadavg_before,
            "cpu_calibration_ms": {"before": args.calibration_before, "after": cpu_calibration_ms()},
        },
    }


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--events", type=int, default=100_000, help="events appended, published and consumed (N)")
    ap.add_argument("--size", type=int, default=1024, help="approximate JSON data bytes per event")
    ap.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    ap.add_argument("--partitions", type=int, default=12)
    ap.add_argument("--bootstrap", help="use this Kafka instead of starting one (topics created are deleted at the end)")
    ap.add_argument(
        "--pg-url", help="use this PostgreSQL server (a maintenance-database URL; the bench creates and drops its own databases)"
    )
    ap.add_argument("--per-append", type=int, default=10, help="events per EventStore.append (one stream per transaction)")
    ap.add_argument("--streams", type=int, default=None, help="streams (accounts); default N/50, i.e. 5 appends of 10 per stream")
    ap.add_argument("--payers", type=int, default=1000, help="distinct Kafka keys (payer codes)")
    ap.add_argument("--writers", type=int, default=8, help="concurrent appending tasks (each owns its streams)")
    ap.add_argument("--no-split", action="store_true", help="skip the separate append-only and relay-only phases")
    ap.add_argument("--no-noop", action="store_true", help="skip the consume pass with a no-op handler")
    ap.add_argument(
        "--profile", metavar="DIR", help="cProfile each phase into DIR (slows the run; figures are then not comparable)"
    )
    ap.add_argument("--profile-top", type=int, default=40)
    args = ap.parse_args(argv)
    if args.events < 1 or args.per_append < 1 or args.partitions < 1 or args.writers < 1 or args.payers < 1:
        ap.error("--events, --per-append, --partitions, --writers and --payers must be positive")
    if args.streams is None:
        args.streams = max(1, math.ceil(args.events / (args.per_append * 5)))
    args.payers = min(args.payers, args.streams)
    return args


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


async def run_interruptible(args: argparse.Namespace, infra: Infra) -> dict[str, Any]:
    """`run`, cancelled cleanly on SIGINT/SIGTERM: the signal cancels the main task (so every
    `finally` runs and clients close) instead of raising KeyboardInterrupt at an arbitrary point,
    where a library's cleanup code could swallow it."""
    loop = asyncio.get_running_loop()
    main_task = asyncio.current_task()
    assert main_task is not None

    def cancel() -> None:
        log("interrupted: cancelling the run, then tearing down")
        main_task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, cancel)
    try:
        return await run(args, infra)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def main(argv: list[str] | None = None) -> int:
    import logging

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    args = parse(argv)
    args.loadavg_before = round(os.getloadavg()[0], 2)
    args.calibration_before = cpu_calibration_ms()
    # Outside the event loop (starting and stopping the servers) a signal raises KeyboardInterrupt.
    # SIGINT is set explicitly: a shell starts background jobs with it ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with infrastructure(args) as infra:
            try:
                result = asyncio.run(run_interruptible(args, infra))
            finally:
                with contextlib.suppress(Exception):
                    asyncio.run(infra.drop_created())
    except BenchFailure as exc:
        log(f"CORRECTNESS CHECK FAILED: {exc}")
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        log("interrupted")
        return 130
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
