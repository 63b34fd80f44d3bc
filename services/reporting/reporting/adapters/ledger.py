"""Projection `ledger` (refund.events → rp_accounts, rp_credits, rp_refunds): the payer ledger
(分户账) folded per account exactly as the refund service folds it (due, paid, offset in,
credited, offset out, refunded, in fen), and each refund's progress.

A settled refund adds its draws to the `refunded` of the accounts its credits came from; an
offset adds to the target account's `offset_in` and to the credit's own account's `offset_out`.
A construction project's premium (entries with `project`) is on an account of its own, keyed as
the refund service keys it: (first month, work_injury, employer, project code); monthly accounts
have project "". So Σ over a payer's rows equals the refund service's ledger totals to the fen (checked by
tests/e2e/test_reporting_totals.py against refund's REST statement)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import Message
from eventkit.projection import Projection
from reporting.adapters import readers as r
from reporting.adapters.rows import add, upsert
from reporting.adapters.tables import accounts, credits, refunds
from reporting.adapters.topics import REFUND_TOPIC

STEP_STATUS: dict[type, str] = {
    r.RefundInstructed: "instructed",
    r.RefundAccepted: "accepted",
    r.RefundRejected: "rejected",
    r.RefundRetried: "retried",
}


async def _account(
    session: AsyncSession, credit_code: str, fee_period: str, insurance: str, part: str, project: str | None, **deltas: int
) -> None:
    keys = {"credit_code": credit_code, "fee_period": fee_period, "insurance": insurance, "part": part, "project": project or ""}
    await add(session, accounts, keys, deltas)


async def _origin(session: AsyncSession, credit_id: str) -> sa.Row[tuple[str, str, str, str, str]]:
    c = credits.c
    row = (
        await session.execute(
            sa.select(c.credit_code, c.fee_period, c.insurance, c.part, c.project).where(c.credit_id == credit_id)
        )
    ).one()
    return row


async def _refund_status(session: AsyncSession, msg: Message, refund_id: str, **values: object) -> None:
    await session.execute(
        sa.update(refunds).where(refunds.c.refund_id == refund_id).values(updated_at=msg.envelope.time, **values)
    )


async def _apply_ledger(session: AsyncSession, e: object) -> bool:
    if isinstance(e, r.DueRecorded):
        for line in e.lines:
            await _account(session, e.credit_code, e.fee_period, line.insurance, line.part, e.project, due_fen=line.amount_fen)
    elif isinstance(e, r.PaymentReceived | r.PaymentReversed):
        sign = 1 if isinstance(e, r.PaymentReceived) else -1
        for a in e.allocations:
            await _account(session, e.credit_code, a.fee_period, a.insurance, a.part, a.project, paid_fen=sign * a.amount_fen)
    elif isinstance(e, r.CreditArisen):
        await _account(session, e.credit_code, e.fee_period, e.insurance, e.part, e.project, credited_fen=e.amount_fen)
        values = {
            "credit_code": e.credit_code, "fee_period": e.fee_period, "insurance": e.insurance, "part": e.part,
            "project": e.project or "",
        }  # fmt: skip
        await upsert(
            session, credits, {"credit_id": e.credit_id}, {**values, "amount_fen": e.amount_fen, "settlement": e.settlement}
        )
    elif isinstance(e, r.SettlementChosen):
        await session.execute(sa.update(credits).where(credits.c.credit_id == e.credit_id).values(settlement=e.settlement))
    elif isinstance(e, r.OffsetApplied):
        origin = await _origin(session, e.credit_id)
        await _account(session, *origin, offset_out_fen=e.amount_fen)
        await _account(session, e.credit_code, e.fee_period, e.insurance, e.part, e.project, offset_in_fen=e.amount_fen)
    else:
        return False
    return True


async def apply(session: AsyncSession, msg: Message) -> None:
    e = msg.event
    if await _apply_ledger(session, e):
        return
    if isinstance(e, r.RefundRequested):
        values = {
            "credit_code": e.credit_code, "amount_fen": e.amount_fen, "draws": [d.model_dump() for d in e.draws],
            "ex_officio": e.ex_officio, "status": "requested", "attempt": 1, "requested_at": msg.envelope.time,
            "updated_at": msg.envelope.time,
        }  # fmt: skip
        await upsert(session, refunds, {"refund_id": e.refund_id}, values)
    elif isinstance(e, r.RefundApproved):
        await _refund_status(session, msg, e.refund_id, status="approved" if e.approvals >= e.required else "approving")
    elif isinstance(e, r.RefundSettled):
        draws = await session.scalar(sa.select(refunds.c.draws).where(refunds.c.refund_id == e.refund_id))
        for draw in draws or []:
            origin = await _origin(session, draw["credit_id"])
            await _account(session, *origin, refunded_fen=int(draw["amount_fen"]))
        await _refund_status(session, msg, e.refund_id, status="settled", attempt=e.attempt)
    elif isinstance(e, r.RefundConvertedToOffset):
        draws = await session.scalar(sa.select(refunds.c.draws).where(refunds.c.refund_id == e.refund_id))
        ids = [d["credit_id"] for d in draws or []]
        await session.execute(sa.update(credits).where(credits.c.credit_id.in_(ids)).values(settlement="offset"))
        await _refund_status(session, msg, e.refund_id, status="converted")
    elif type(e) in STEP_STATUS:
        await _refund_status(session, msg, e.refund_id, status=STEP_STATUS[type(e)], attempt=e.attempt)  # type: ignore[attr-defined]


def projection() -> Projection:
    return Projection(
        name="ledger",
        topics=(REFUND_TOPIC,),
        tables=(accounts, credits, refunds),
        handler=apply,
        registry=r.refund_registry,
        ignore=("refund.", "public."),
    )
