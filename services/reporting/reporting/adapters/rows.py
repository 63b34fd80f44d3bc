"""Small row helpers the projections share (select, then insert or update: portable between
PostgreSQL and SQLite, and a partition's events are applied by one consumer at a time)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession


def _where(table: sa.Table, keys: dict[str, Any]) -> list[sa.ColumnElement[bool]]:
    return [table.c[k] == v for k, v in keys.items()]


async def upsert(session: AsyncSession, table: sa.Table, keys: dict[str, Any], values: dict[str, Any]) -> None:
    """Set `values` on the row with `keys`, inserting it if missing."""
    found = await session.scalar(sa.select(sa.func.count()).select_from(table).where(*_where(table, keys)))
    if found:
        if values:
            await session.execute(sa.update(table).where(*_where(table, keys)).values(**values))
    else:
        await session.execute(sa.insert(table).values(**keys, **values))


async def add(session: AsyncSession, table: sa.Table, keys: dict[str, Any], deltas: dict[str, int]) -> None:
    """Add `deltas` to the row's amount columns, inserting a row of zeros first if missing."""
    found = await session.scalar(sa.select(sa.func.count()).select_from(table).where(*_where(table, keys)))
    if not found:
        await session.execute(sa.insert(table).values(**keys, **deltas))
        return
    await session.execute(sa.update(table).where(*_where(table, keys)).values(**{c: table.c[c] + d for c, d in deltas.items()}))


async def replace(session: AsyncSession, table: sa.Table, keys: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """Replace every row matching `keys` by `rows` (each completed with `keys`)."""
    await session.execute(sa.delete(table).where(*_where(table, keys)))
    if rows:
        await session.execute(sa.insert(table), [{**keys, **r} for r in rows])
