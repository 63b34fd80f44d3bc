"""The dispute list (projection `disputes`, fed by classification.events): each dispute's status,
the agencies that gave an opinion, and the deadline of the step it waits for. The open and
overdue lists read it; a single dispute's timeline is answered from the event store."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from classification.adapters.tables import disputes
from classification.adapters.topics import CLASSIFICATION_TOPIC
from classification.domain import disputes as agg
from classification.domain.dispute_events import (
    DisputeCorrected,
    DisputeDecided,
    DisputeFiled,
    DisputeReported,
    DisputeTakenIn,
    OpinionRecorded,
)
from classification.domain.registry import registry
from eventkit.events import Message
from eventkit.projection import Projection


async def apply(session: AsyncSession, msg: Message) -> None:
    e, at = msg.event, msg.envelope.time
    if isinstance(e, DisputeFiled):
        await session.execute(
            sa.insert(disputes).values(
                dispute_id=e.dispute_id,
                credit_code=e.credit_code,
                status=agg.FILED,
                statistical_year=e.statistical_year,
                current_size=e.current_size,
                claimed_size=e.claimed_size,
                group_credit_code=e.group_split.group if e.group_split else None,
                opinions=[],
                filed_at=at,
                updated_at=at,
                due=e.due,
            )
        )
    elif isinstance(e, DisputeTakenIn):
        await _update(session, e.dispute_id, status=agg.UNDER_REVIEW, due=e.due, updated_at=at)
    elif isinstance(e, OpinionRecorded):
        opinions = await session.scalar(sa.select(disputes.c.opinions).where(disputes.c.dispute_id == e.dispute_id))
        agencies = sorted({*(opinions or []), e.agency})
        values: dict[str, Any] = {"opinions": agencies, "updated_at": at}
        if len(agencies) == len(agg.AGENCIES):
            values |= {"status": agg.OPINIONS_COMPLETE, "due": e.due}
        await _update(session, e.dispute_id, **values)
    elif isinstance(e, DisputeDecided):
        status = agg.UPHELD if e.outcome == "upheld" else agg.REJECTED
        await _update(session, e.dispute_id, status=status, decided_size=e.size, due=e.due, updated_at=at)
    elif isinstance(e, DisputeReported):
        await _update(session, e.dispute_id, status=agg.REPORTED, due=e.due, updated_at=at)
    elif isinstance(e, DisputeCorrected):
        await _update(session, e.dispute_id, status=agg.CORRECTED, decided_size=e.size, due=None, updated_at=at)


async def _update(session: AsyncSession, dispute_id: str, **values: Any) -> None:
    await session.execute(sa.update(disputes).where(disputes.c.dispute_id == dispute_id).values(**values))


def projection() -> Projection:
    return Projection(name="disputes", topics=(CLASSIFICATION_TOPIC,), tables=(disputes,), handler=apply, registry=registry)
