"""The record of the last rebuild of each projection (table es_rebuilds): written by
`eventkit.rebuild.rebuild` (so by `<service> rebuild` and `<service> restore`) once a projection is
rebuilt, read by the ops endpoint (`GET /v1/ops/pipeline`), which reports it beside the live
fingerprint so an operator sees whether the projection still derives to what the rebuild proved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eventkit.db import upsert_insert
from eventkit.schema import KernelTables


@dataclass(frozen=True)
class RebuildRecord:
    projection: str
    fingerprint: str
    events: int
    milliseconds: int
    rebuilt_at: datetime


async def record_rebuild(sessions: async_sessionmaker[AsyncSession], tables: KernelTables, record: RebuildRecord) -> None:
    """Keep `record` as the projection's last rebuild (replacing the one before)."""
    values = {
        "fingerprint": record.fingerprint,
        "events": record.events,
        "milliseconds": record.milliseconds,
        "rebuilt_at": record.rebuilt_at,
    }
    async with sessions() as session, session.begin():
        insert = upsert_insert(session, tables.rebuilds).values(projection=record.projection, **values)
        await session.execute(insert.on_conflict_do_update(index_elements=["projection"], set_=values))


async def last_rebuilds(session: AsyncSession, tables: KernelTables) -> list[RebuildRecord]:
    """The last rebuild of every projection that was ever rebuilt, by projection name."""
    t = tables.rebuilds
    rows = await session.execute(sa.select(t).order_by(t.c.projection))
    return [
        RebuildRecord(
            r.projection,
            r.fingerprint,
            int(r.events),
            int(r.milliseconds),
            r.rebuilt_at if r.rebuilt_at.tzinfo else r.rebuilt_at.replace(tzinfo=UTC),
        )
        for r in rows
    ]
