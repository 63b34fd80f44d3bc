"""Projection `disputes` (classification.events → rp_disputes): each size dispute's progress
(划型异议进度): filed → taken in → under review (opinions) → upheld → reported → corrected, or
rejected. `closed_at` is set when it can move no further (rejected, corrected)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import Message
from eventkit.projection import Projection
from reporting.adapters import readers as r
from reporting.adapters.rows import upsert
from reporting.adapters.tables import disputes
from reporting.adapters.topics import CLASSIFICATION_TOPIC

OPEN_STATUSES = ("filed", "taken_in", "under_review", "upheld", "reported")
CLOSED_STATUSES = ("rejected", "corrected")


async def apply(session: AsyncSession, msg: Message) -> None:
    e, at = msg.event, msg.envelope.time
    if isinstance(e, r.DisputeFiled):
        values = {
            "credit_code": e.credit_code, "claimed_size": e.claimed_size, "status": "filed", "opinions": 0,
            "filed_at": at, "updated_at": at, "closed_at": None,
        }  # fmt: skip
        await upsert(session, disputes, {"dispute_id": e.dispute_id}, values)
        return
    t = disputes.c
    step: dict[str, object] = {"updated_at": at}
    if isinstance(e, r.DisputeTakenIn):
        step["status"] = "taken_in"
    elif isinstance(e, r.OpinionRecorded):
        step.update(status="under_review", opinions=t.opinions + 1)
    elif isinstance(e, r.DisputeDecided):
        step["status"] = "upheld" if e.outcome == "upheld" else "rejected"
        if e.outcome != "upheld":
            step["closed_at"] = at
    elif isinstance(e, r.DisputeReported):
        step["status"] = "reported"
    elif isinstance(e, r.DisputeCorrected):
        step.update(status="corrected", closed_at=at)
    else:
        return
    await session.execute(sa.update(disputes).where(t.dispute_id == e.dispute_id).values(**step))


def projection() -> Projection:
    return Projection(
        name="disputes",
        topics=(CLASSIFICATION_TOPIC,),
        tables=(disputes,),
        handler=apply,
        registry=r.classification_registry,
        ignore=("classification.",),
    )
