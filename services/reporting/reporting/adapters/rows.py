"""Small row helpers the projections share: one INSERT … ON CONFLICT per change (eventkit.db's
upsert_insert, portable between PostgreSQL and SQLite)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.db import upsert_insert


def _where(table: sa.Table, keys: dict[str, Any]) -> list[sa.ColumnElement[bool]]:
    return [table.c[k] == v for k, v in keys.items()]


async def upsert(session: AsyncSession, table: sa.Table, keys: dict[str, Any], values: dict[str, Any]) -> None:
    """Set `values` on the row with `keys` (the table's whole primary key), inserting it if missing."""
    stmt = upsert_insert(session, table).values(**keys, **values)
    if values:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=values)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    await session.execute(stmt)


async def add(session: AsyncSession, table: sa.Table, keys: dict[str, Any], deltas: dict[str, int]) -> None:
    """Add `deltas` to the amount columns of the row with `keys` (the whole primary key), inserting
    it with `deltas` as its amounts if missing."""
    stmt = upsert_insert(session, table).values(**keys, **deltas)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=list(keys), set_={c: table.c[c] + d for c, d in deltas.items()})
    )


async def replace(session: AsyncSession, table: sa.Table, keys: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """Replace every row matching `keys` by `rows` (each completed with `keys`)."""
    await session.execute(sa.delete(table).where(*_where(table, keys)))
    if rows:
        await session.execute(sa.insert(table), [{**keys, **r} for r in rows])
