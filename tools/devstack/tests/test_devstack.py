"""devstack against the real binaries: a Kafka 3.9.1 broker from Maven jars and PostgreSQL 15."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import psutil
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition

from devstack.kafka import KafkaBroker, KafkaStartError, ensure_kafka_jars
from devstack.ports import free_port, port_is_free
from devstack.postgres import PostgresCluster
from devstack.topics import create_topics


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[KafkaBroker]:
    b = KafkaBroker(tmp_path / "kafka")
    try:
        yield b
    finally:
        b.kill()
        print(b.tail_log(40))  # shown by pytest only when the test failed


async def _produce(bootstrap: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=b"k", partition=0)
    finally:
        await producer.stop()


async def _read_all(bootstrap: str, topic: str) -> list[bytes]:
    """Every record of partition 0, read from the beginning without a consumer group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        end = (await consumer.end_offsets([tp]))[tp]
        await consumer.seek_to_beginning(tp)
        out: list[bytes] = []
        async with asyncio.timeout(20):
            while len(out) < end:
                batch = await consumer.getmany(tp, timeout_ms=1000)
                out += [rec.value for rec in batch.get(tp, []) if rec.value is not None]
        return out
    finally:
        await consumer.stop()


def test_free_port_is_bindable() -> None:
    port = free_port()
    assert 1024 < port < 65536
    assert port_is_free(port)


def test_kafka_jars_are_cached_and_not_refetched(monkeypatch: pytest.MonkeyPatch) -> None:
    lib = ensure_kafka_jars()
    assert lib.name == "lib" and lib.parent.name == "3.9.1"
    assert list(lib.glob("kafka_2.13-3.9.1.jar")) and list(lib.glob("reload4j-*.jar"))

    def no_maven(*args: object, **kwargs: object) -> None:
        raise AssertionError("mvn must not run when the completion marker exists")

    monkeypatch.setattr(subprocess, "run", no_maven)
    assert ensure_kafka_jars() == lib


def test_kafka_roundtrip_then_survives_sigkill_without_reformat(broker: KafkaBroker) -> None:
    t0 = time.monotonic()
    broker.start()
    first_start = time.monotonic() - t0
    props = broker.properties_file.read_text()
    assert "auto.create.topics.enable=false" in props and "log.cleaner.dedupe.buffer.size=33554432" in props
    assert broker.bootstrap == f"127.0.0.1:{broker.port}"

    topic = f"devstack-{uuid.uuid4().hex[:8]}"
    spec = [(topic, 3, {"retention.ms": "-1", "min.insync.replicas": "1"})]
    assert asyncio.run(create_topics(broker.bootstrap, spec)) == [topic]
    assert asyncio.run(create_topics(broker.bootstrap, spec)) == []  # idempotent
    asyncio.run(_produce(broker.bootstrap, topic, b"before-crash"))
    assert asyncio.run(_read_all(broker.bootstrap, topic)) == [b"before-crash"]

    # SIGSTOP/SIGCONT really freeze and thaw the JVM.
    assert broker.pid is not None
    broker.pause()
    assert psutil.Process(broker.pid).status() == psutil.STATUS_STOPPED
    broker.resume()
    assert psutil.Process(broker.pid).status() != psutil.STATUS_STOPPED

    meta = broker.data_dir / "meta.properties"
    meta_before = (meta.read_text(), meta.stat().st_mtime_ns)
    cluster_id, old_pid = broker.cluster_id, broker.pid
    broker.kill()
    assert not broker.is_running() and not psutil.pid_exists(old_pid)

    # A fresh object on the same workdir: same ports (recorded), same cluster id, no re-format.
    again = KafkaBroker(broker.workdir)
    try:
        t0 = time.monotonic()
        again.start()
        crash_restart = time.monotonic() - t0
        assert again.bootstrap == broker.bootstrap
        assert again.cluster_id == cluster_id
        assert (meta.read_text(), meta.stat().st_mtime_ns) == meta_before
        assert asyncio.run(_read_all(again.bootstrap, topic)) == [b"before-crash"]
        asyncio.run(_produce(again.bootstrap, topic, b"after-crash"))
        again.restart()  # graceful stop + start keeps data too
        assert asyncio.run(_read_all(again.bootstrap, topic)) == [b"before-crash", b"after-crash"]
        assert "Kafka Server started" in again.tail_log(5000)
    finally:
        again.stop()
    assert again._proc is not None and again._proc.returncode in (0, 143)
    print(f"first start {first_start:.1f}s, start after SIGKILL {crash_restart:.1f}s")


def test_kafka_start_failure_raises_with_log_tail(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        broker = KafkaBroker(tmp_path / "kafka", port=squatter.getsockname()[1])
        with pytest.raises(KafkaStartError) as info:
            broker.start(timeout=60)
    assert "exited during start" in str(info.value)
    assert "server.log" in str(info.value) and "Address already in use" in str(info.value)
    assert not broker.is_running()


async def _query(dsn: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


def test_postgres_lifecycle_keeps_data(tmp_path: Path) -> None:
    # A deep workdir: the unix socket must move to a short path (sun_path is 108 bytes).
    cluster = PostgresCluster(tmp_path / ("deep-" * 14) / "pg")
    try:
        cluster.start()
        assert str(cluster.socket_dir).startswith("/tmp/devstack-pg-")
        pid = cluster.postmaster_pid()
        assert pid is not None
        assert psutil.Process(pid).uids().effective != 0, "PostgreSQL must never run as root"
        assert cluster.url("app") == f"postgresql+asyncpg://relief@127.0.0.1:{cluster.port}/app"

        assert cluster.create_database("app") is True
        assert cluster.create_database("app") is False  # idempotent
        dsn = cluster.dsn("app")
        assert [tuple(r) for r in asyncio.run(_query(dsn, "select 1"))] == [(1,)]
        asyncio.run(_query(dsn, "create table t (v text)"))
        asyncio.run(_query(dsn, "insert into t values ('committed before stop')"))
        settings = asyncio.run(_query(dsn, "select name, setting from pg_settings where name in ('fsync', 'max_connections')"))
        assert dict((r["name"], r["setting"]) for r in settings) == {"fsync": "on", "max_connections": "200"}

        cluster.stop()
        assert not cluster.is_running()
        cluster.start()
        assert [r["v"] for r in asyncio.run(_query(dsn, "select v from t"))] == ["committed before stop"]

        asyncio.run(_query(dsn, "insert into t values ('committed before crash')"))
        cluster.kill()
        assert not cluster.is_running()
        cluster.start()  # WAL crash recovery
        rows = [r["v"] for r in asyncio.run(_query(dsn, "select v from t order by v"))]
        assert rows == ["committed before crash", "committed before stop"]
        assert "database system is ready to accept connections" in cluster.log_tail(2000)

        cluster.drop_database("app")

        async def sync_api_inside_a_running_loop() -> bool:
            return cluster.create_database("app")  # must not trip over the running loop

        assert asyncio.run(sync_api_inside_a_running_loop()) is True
    except BaseException:
        print(cluster.log_tail(60))
        raise
    finally:
        cluster.destroy()
    assert not cluster.data_dir.exists() and not cluster.socket_dir.exists()
