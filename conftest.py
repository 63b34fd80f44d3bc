"""Session-wide infrastructure for every test: a real Kafka broker and a real PostgreSQL cluster,
started on free ports for this run and torn down after it.

For quick local iterations an already running broker or cluster can be reused:
  RELIEF_TEST_KAFKA_BOOTSTRAP=127.0.0.1:9092  RELIEF_TEST_PG_URL=postgresql://relief@127.0.0.1:5432/postgres
CI never sets them.

Every event any test appends, in this process or in a service it starts (they inherit the
environment), is checked against its committed contract (contracts/events/): a violation fails
the append, is written to a file this session owns, and fails the test during which it happened.
Set EVENTKIT_VALIDATE_CONTRACTS=0 to switch the check off for a local run.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from eventkit.testing.databases import create_database, pg_database_url

REPO = Path(__file__).resolve().parent
ARTIFACTS = REPO / "test-artifacts"
T = TypeVar("T")

os.environ.setdefault("EVENTKIT_VALIDATE_CONTRACTS", "1")
_VIOLATIONS = Path(tempfile.mkdtemp(prefix="relief-contracts-")) / "violations.jsonl"
_VIOLATIONS.touch()
os.environ["EVENTKIT_CONTRACT_VIOLATIONS"] = str(_VIOLATIONS)


@pytest.fixture(autouse=True)
def _events_keep_their_contracts() -> Iterator[None]:
    """Fail the test during which any process appended an event that breaks its contract."""
    start = _VIOLATIONS.stat().st_size
    yield
    with _VIOLATIONS.open("rb") as found:
        found.seek(start)
        new = found.read().decode("utf-8", "replace")
    if new.strip():
        pytest.fail(f"events that break their contracts (contracts/events/) were appended:\n{new[:4000]}", pytrace=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_VIOLATIONS.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def infra_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="relief-test-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka_broker(infra_dir: Path) -> Iterator[object | None]:
    if os.environ.get("RELIEF_TEST_KAFKA_BOOTSTRAP"):
        yield None
        return
    from devstack.kafka import KafkaBroker, ensure_kafka_jars

    ensure_kafka_jars()
    broker = KafkaBroker(infra_dir / "kafka")
    broker.start()
    try:
        yield broker
    finally:
        _keep_log(broker.log_dir / "server.log", "kafka-server.log")
        broker.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: object | None) -> str:
    return os.environ.get("RELIEF_TEST_KAFKA_BOOTSTRAP") or kafka_broker.bootstrap  # type: ignore[union-attr]


@pytest.fixture
def private_kafka(tmp_path: Path) -> Iterator[str]:
    """A broker of this test's own (bootstrap address), for tests that replay a whole log from the
    beginning: the session broker holds every earlier test's events."""
    from devstack.kafka import KafkaBroker, ensure_kafka_jars

    ensure_kafka_jars()
    broker = KafkaBroker(tmp_path / "private-kafka")
    broker.start()
    try:
        yield broker.bootstrap
    finally:
        _keep_log(broker.log_dir / "server.log", f"kafka-private-{tmp_path.name}.log")
        broker.stop()


@pytest.fixture(scope="session")
def pg_cluster(infra_dir: Path) -> Iterator[object | None]:
    if os.environ.get("RELIEF_TEST_PG_URL"):
        yield None
        return
    from devstack.postgres import PostgresCluster

    cluster = PostgresCluster(infra_dir / "postgres")
    cluster.start()
    try:
        yield cluster
    finally:
        _keep_log(Path(cluster.log_path), "postgres.log")
        cluster.stop()


@pytest.fixture(scope="session")
def pg_server_url(pg_cluster: object | None) -> str:
    """A plain postgresql:// URL of the cluster's maintenance database."""
    return os.environ.get("RELIEF_TEST_PG_URL") or pg_cluster.dsn("postgres")  # type: ignore[union-attr]


@pytest.fixture
def new_pg_database(pg_server_url: str) -> Callable[[str], str]:
    """Create a fresh, uniquely named database; returns its asyncpg SQLAlchemy URL."""

    def create(prefix: str = "t") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        run_in_thread(create_database(pg_server_url, name))
        return pg_database_url(pg_server_url, name)

    return create


def run_in_thread(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a private loop, also from inside a running one."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store contract test runs on both backends."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("new_pg_database")("store")


def _keep_log(path: Path, name: str) -> None:
    try:
        if path.exists():
            ARTIFACTS.mkdir(exist_ok=True)
            shutil.copy(path, ARTIFACTS / name)
    except OSError:
        pass
