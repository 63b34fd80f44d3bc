"""Read model of the liabilities (projection ``liabilities``, fed by relief.events): lists by payer
and by region for the REST API and the reports. A single liability with its history is read from
the event store itself (exact at once, and bitemporal: as recorded on any day)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import Message
from eventkit.projection import Projection
from eventkit.store import row_to_envelope
from relief_calc.adapters.tables import kernel, liabilities
from relief_calc.adapters.topics import RELIEF_TOPIC
from relief_calc.domain.events import registry
from relief_calc.domain.liability_events import (
    LIABILITY_EVENTS,
    LiabilityAssessed,
    LiabilityReassessed,
    LiabilityWithdrawn,
    liability_stream,
)


async def apply(session: AsyncSession, msg: Message) -> None:
    e, version = msg.event, msg.envelope.streamversion or 0
    t = liabilities
    if isinstance(e, LiabilityAssessed | LiabilityReassessed):
        li = e.liability
        values = {
            "region": li.region,
            "status": li.status,
            "size_used": li.size_used,
            "declaration_revision": li.inputs.declaration_revision,
            "employer_original_fen": li.employer_original_fen,
            "employer_relief_fen": li.employer_relief_fen,
            "employer_payable_fen": li.employer_payable_fen,
            "individual_fen": li.individual_fen,
            "due_date": li.due_date,
            "version": version,
            "updated_at": msg.envelope.time,
        }
        key = (t.c.credit_code == li.credit_code, t.c.fee_period == li.fee_period)
        if await session.scalar(sa.select(sa.func.count()).select_from(t).where(*key)):
            await session.execute(sa.update(t).where(*key).values(**values))
        else:
            await session.execute(sa.insert(t).values(credit_code=li.credit_code, fee_period=li.fee_period, **values))
    elif isinstance(e, LiabilityWithdrawn):
        await session.execute(
            sa.update(t)
            .where(t.c.credit_code == e.credit_code, t.c.fee_period == e.fee_period)
            .values(
                status="withdrawn",
                employer_original_fen=0,
                employer_relief_fen=0,
                employer_payable_fen=0,
                individual_fen=0,
                version=version,
                updated_at=msg.envelope.time,
            )
        )


def projection() -> Projection:
    return Projection(name="liabilities", topics=(RELIEF_TOPIC,), tables=(liabilities,), handler=apply, registry=registry)


# ---- queries ------------------------------------------------------------------------------------
async def liabilities_of(
    session: AsyncSession, credit_code: str, period_from: str | None, period_to: str | None, limit: int = 120
) -> Sequence[Any]:
    t = liabilities
    q = sa.select(t).where(t.c.credit_code == credit_code)
    if period_from:
        q = q.where(t.c.fee_period >= period_from)
    if period_to:
        q = q.where(t.c.fee_period <= period_to)
    return (await session.execute(q.order_by(t.c.fee_period).limit(limit))).all()


async def history(session: AsyncSession, credit_code: str, fee_period: str, as_known_at: datetime | None = None) -> list[Message]:
    """The liability stream's events (as recorded up to ``as_known_at``), decoded."""
    t = kernel.events
    q = sa.select(t).where(t.c.stream_id == liability_stream(credit_code, fee_period))
    if as_known_at is not None:
        q = q.where(t.c.occurred_at <= as_known_at)  # the time of the assessment (its event's time)
    rows = (await session.execute(q.order_by(t.c.stream_version))).all()
    return [registry.decode(row_to_envelope(r._mapping)) for r in rows if r.event_type in _NAMES]


_NAMES = {cls.name for cls in LIABILITY_EVENTS}
