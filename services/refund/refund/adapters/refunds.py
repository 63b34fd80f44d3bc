"""Read model of the refunds (projection ``refunds``, fed by refund.events): one row per refund with
its status, for the officers' lists and the bank worker's queue. A single refund with its whole
history is read from the payer's ledger stream (exact at once)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import Message
from eventkit.projection import Projection
from refund.adapters.tables import kernel, refunds
from refund.adapters.topics import REFUND_TOPIC
from refund.domain.events import (
    RefundAccepted,
    RefundApproved,
    RefundConvertedToOffset,
    RefundInstructed,
    RefundRejected,
    RefundRequested,
    RefundRetried,
    RefundSettled,
    RefundStatusFlagged,
    registry,
)
from refund.domain.refunds import ACCEPTED, APPROVED, CONVERTED, INSTRUCTED, REJECTED, REQUESTED, SETTLED

# the statuses in which the bank worker has something to do or to watch
IN_FLIGHT = (APPROVED, INSTRUCTED, ACCEPTED)


async def apply(session: AsyncSession, msg: Message) -> None:
    e, at, t = msg.event, msg.envelope.time, refunds
    if isinstance(e, RefundRequested):
        await session.execute(
            sa.insert(t).values(
                refund_id=e.refund_id, credit_code=e.credit_code, status=REQUESTED, attempt=1, amount_fen=e.amount_fen,
                ex_officio=e.ex_officio, requested_by=e.requested_by, account_masked=e.account.masked, flagged=False,
                requested_at=at, updated_at=at,
            )
        )  # fmt: skip
        return
    refund_id = getattr(e, "refund_id", None)
    if refund_id is None:
        return
    values: dict[str, Any] | None = None
    if isinstance(e, RefundApproved):
        values = {"status": APPROVED} if e.approvals >= e.required else None
    elif isinstance(e, RefundInstructed):
        values = {"status": INSTRUCTED, "message_id": e.message_id, "attempt": e.attempt}
    elif isinstance(e, RefundAccepted):
        values = {"status": ACCEPTED}
    elif isinstance(e, RefundRejected):
        values = {"status": REJECTED, "reason_code": e.reason_code}
    elif isinstance(e, RefundSettled):
        values = {"status": SETTLED}
    elif isinstance(e, RefundRetried):
        values = {
            "status": REQUESTED, "attempt": e.attempt, "account_masked": e.account.masked, "message_id": None,
            "reason_code": None,
        }  # fmt: skip
    elif isinstance(e, RefundConvertedToOffset):
        values = {"status": CONVERTED}
    elif isinstance(e, RefundStatusFlagged):
        values = {"flagged": True}
    if values is not None:
        await session.execute(sa.update(t).where(t.c.refund_id == refund_id).values(**values, updated_at=at))


def projection() -> Projection:
    return Projection(name="refunds", topics=(REFUND_TOPIC,), tables=(refunds,), handler=apply, registry=registry)


# ---- queries ------------------------------------------------------------------------------------
async def list_refunds(
    session: AsyncSession, *, status: str | None, credit_code: str | None, offset: int, limit: int
) -> Sequence[Any]:
    t = refunds
    q = sa.select(t)
    if status is not None:
        q = q.where(t.c.status == status)
    if credit_code is not None:
        q = q.where(t.c.credit_code == credit_code)
    q = q.order_by(t.c.requested_at, t.c.refund_id).offset(offset).limit(limit)
    return (await session.execute(q)).all()


async def counts_by_status(session: AsyncSession) -> dict[str, int]:
    t = refunds
    rows = (await session.execute(sa.select(t.c.status, sa.func.count()).group_by(t.c.status))).all()
    return {status: n for status, n in rows}


async def payer_of(session: AsyncSession, refund_id: str) -> str | None:
    """The payer whose ledger holds this refund: from the read model, else (a bank callback can
    arrive before the read model has caught up) from the event store itself."""
    code = await session.scalar(sa.select(refunds.c.credit_code).where(refunds.c.refund_id == refund_id))
    if code is not None:
        return str(code)
    e = kernel.events
    found = await session.scalar(
        sa.select(e.c.subject)
        .where(e.c.event_type == RefundRequested.name, e.c.data["refund_id"].as_string() == refund_id)
        .limit(1)
    )
    return str(found) if found is not None else None
