"""Projection `medical-fund` (reporting.events → rp_medical_fund): the latest fund figures the
medical-security officer entered for each city and month. The command writes the row through in
its own transaction as well (the officer sees it at once); the projection applies the same
function, which converges on what is already there (an entry older than the row's is skipped, so
a correction written through is never undone by its predecessor arriving late), and a rebuild
derives the same rows."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import Message
from eventkit.projection import Projection
from reporting.adapters.rows import upsert
from reporting.adapters.tables import medical_fund
from reporting.adapters.topics import REPORTING_TOPIC
from reporting.domain.events import MedicalFundFiguresRecorded, registry


async def apply(session: AsyncSession, msg: Message) -> None:
    e = msg.event
    if not isinstance(e, MedicalFundFiguresRecorded):
        return
    version = msg.envelope.streamversion or 0
    t = medical_fund.c
    current = await session.scalar(sa.select(t.version).where(t.region == e.region, t.month == e.month))
    if current is not None and current > version:  # the command wrote a later entry through already
        return
    values = {
        "balance_fen": e.balance_fen, "income_fen": e.income_fen, "spending_fen": e.spending_fen, "note": e.note,
        "recorded_by": e.recorded_by, "recorded_at": msg.envelope.time, "event_id": msg.event_id, "version": version,
    }  # fmt: skip
    await upsert(session, medical_fund, {"region": e.region, "month": e.month}, values)


def projection() -> Projection:
    return Projection(name="medical-fund", topics=(REPORTING_TOPIC,), tables=(medical_fund,), handler=apply, registry=registry)


async def get(session: AsyncSession, region: str, month: str) -> dict[str, Any] | None:
    q = sa.select(medical_fund).where(medical_fund.c.region == region, medical_fund.c.month == month)
    row = (await session.execute(q)).first()
    return dict(row._mapping) if row else None
