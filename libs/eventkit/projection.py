"""Projections: tables derived only from the log, and their rebuild.

A projection names its consumer group, the topics it reads, the tables it owns and a handler.
`rebuild` drops and recreates its tables, forgets its stored offsets and applied event ids, and
replays every topic from the beginning through the same handler and the same transactional
processing as the live consumer. `fingerprint` is a SHA-256 over the tables' rows in primary-key
order, each row as canonical JSON, so two builds from the same log give the same digest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eventkit.events import EventRegistry
from eventkit.processing import Handler, Subscription
from eventkit.schema import KernelTables


@dataclass(frozen=True)
class Projection:
    name: str
    topics: tuple[str, ...]
    tables: tuple[sa.Table, ...]
    handler: Handler
    registry: EventRegistry
    ignore: tuple[str, ...] = ()  # other services' event name prefixes it tolerates (Subscription.ignore)

    @property
    def group(self) -> str:
        return f"projection.{self.name}"

    def subscription(self) -> Subscription:
        return Subscription(
            group=self.group, topics=self.topics, handler=self.handler, registry=self.registry, ignore=self.ignore
        )


async def reset(sessions: async_sessionmaker[AsyncSession], kernel: KernelTables, projection: Projection) -> None:
    """Drop and recreate the projection's tables and forget what its group applied, in one
    transaction (PostgreSQL and our SQLite setup both have transactional DDL)."""
    async with sessions() as session, session.begin():
        conn = await session.connection()
        tables = list(projection.tables)
        await conn.run_sync(_drop_create, tables)
        for t in (kernel.consumer_offsets, kernel.processed_events):
            await session.execute(sa.delete(t).where(t.c.consumer_group == projection.group))


def _drop_create(conn: sa.Connection, tables: list[sa.Table]) -> None:
    for table in reversed(tables):
        table.drop(conn, checkfirst=True)
    for table in tables:
        table.create(conn, checkfirst=True)


async def fingerprint(sessions: async_sessionmaker[AsyncSession], tables: Sequence[sa.Table]) -> str:
    digest = hashlib.sha256()
    async with sessions() as session:
        for table in sorted(tables, key=lambda t: t.name):
            digest.update(f"table:{table.name}\n".encode())
            order = list(table.primary_key.columns) or list(table.columns)
            result = await session.stream(sa.select(table).order_by(*order))
            async for row in result:
                digest.update(canonical_row(row._mapping))
                digest.update(b"\n")
    return digest.hexdigest()


def canonical_row(row: Any) -> bytes:
    return json.dumps({k: _plain(v) for k, v in row.items()}, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
