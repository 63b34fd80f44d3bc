"""Database engines and sessions for PostgreSQL (production, tests) and SQLite (one-machine runs).

Every service owns one database. The kernel's tables (event store, outbox, consumer offsets,
processed event ids, idempotency keys) live beside the service's projections in it, so that a
decision, the events it raises and the offsets it consumed commit in one transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def upsert_insert(session: AsyncSession, table: sa.Table) -> Any:
    """An INSERT of the session's dialect that has ``on_conflict_do_nothing`` / ``…_do_update``
    (both PostgreSQL and SQLite have them, each in its own dialect module)."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


# BIGINT on PostgreSQL, INTEGER (the rowid alias, so autoincrementing) on SQLite.
BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` and `sqlite:///` URLs and pick the async drivers."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url


def is_sqlite(engine_or_url: AsyncEngine | str) -> bool:
    url = engine_or_url if isinstance(engine_or_url, str) else str(engine_or_url.url)
    return url.startswith("sqlite")


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    url = normalise_url(url)
    if is_sqlite(url):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        _make_sqlite_transactional(engine)
        return engine
    return create_async_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, pool_recycle=1800)


def _make_sqlite_transactional(engine: AsyncEngine) -> None:
    """Give SQLite real transactions, savepoints and transactional DDL.

    The sqlite3 module (and so aiosqlite) begins transactions lazily and only before DML, which
    breaks SAVEPOINT and lets two writers both read and then fail to upgrade their lock. We turn
    its own handling off and emit `BEGIN IMMEDIATE` ourselves: each transaction takes the write
    lock up front, so writers queue (busy_timeout) instead of deadlocking, and a read inside a
    transaction sees a state no other writer can change before commit.
    """

    @sa_event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa_event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session inside one transaction: committed on success, rolled back on any error."""
    async with sessions() as session, session.begin():
        yield session


def is_transient(exc: BaseException) -> bool:
    """True for faults that may pass by themselves (database or broker away, lock timeouts,
    optimistic-concurrency conflicts): the caller retries with back-off and never skips.
    Everything else is a property of the input and would fail again the same way."""
    from aiokafka import errors as kafka_errors  # local: keeps db importable without Kafka

    from eventkit.errors import ConcurrencyError

    if isinstance(exc, ConcurrencyError | ConnectionError | TimeoutError | asyncio.TimeoutError | OSError):
        return True
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, kafka_errors.KafkaError) and getattr(exc, "retriable", False):
        return True
    if isinstance(exc, kafka_errors.KafkaConnectionError | kafka_errors.KafkaTimeoutError):
        return True
    cause = exc.__cause__ or exc.__context__
    if cause is not None and cause is not exc and _is_connection_error_name(cause):
        return True
    return _is_connection_error_name(exc)


def _is_connection_error_name(exc: BaseException) -> bool:
    # asyncpg raises its own classes for a server that went away; match them by name so the
    # kernel does not need asyncpg imported when running on SQLite.
    name = type(exc).__name__
    return name in {
        "ConnectionDoesNotExistError",
        "CannotConnectNowError",
        "ConnectionFailureError",
        "AdminShutdownError",
        "InterfaceError",
        "TooManyConnectionsError",
    }
