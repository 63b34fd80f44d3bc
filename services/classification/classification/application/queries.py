"""Queries on the size read model: the size in force for a payer and fee period with its source,
and a payer's history. (Answers reflect what the service has read from its topic so far.)"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from classification.adapters.tables import size_records as t


async def size_in_force(session: AsyncSession, credit_code: str, fee_period: str) -> dict[str, Any] | None:
    """The latest correction covering the period, else the assignment covering it (the latest, if
    the province ever assigned overlapping years)."""
    covering = sa.and_(t.c.credit_code == credit_code, t.c.period_first <= fee_period, t.c.period_last >= fee_period)
    for kind in ("corrected", "assigned"):
        row = (
            await session.execute(sa.select(t).where(covering, t.c.kind == kind).order_by(t.c.version.desc()).limit(1))
        ).first()
        if row is not None:
            return dict(row._mapping)
    return None


async def history(session: AsyncSession, credit_code: str) -> list[dict[str, Any]]:
    rows = (await session.execute(sa.select(t).where(t.c.credit_code == credit_code).order_by(t.c.version))).all()
    return [dict(r._mapping) for r in rows]
