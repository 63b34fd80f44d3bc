"""What was paid on each payer's accounts, from the refund service's ledger events (refund.events).

Projection ``paid`` reads ``refund.PaymentReceived``, ``PaymentReversed``, ``OffsetApplied`` and
``CreditArisen`` through tolerant reader models (relief_calc.adapters.readers; relief-calc never
imports the refund service) into ``rc_paid``: one row per refund event and account (fee period,
insurance, part), with the signed amount and the day it counts from
(relief_calc.domain.paid: a payment on its value date, the others on the day the refund service
recorded them, the event's time in China). Every other refund event is skipped, not dead-lettered
(``ignore``); money that matched no due (the ``unallocated`` account) is left out: it pays a
liability only once an offset applies it; so is a construction project's own account (its lump-sum
premium is not a fee period's liability). Rows are never updated, so a rebuild from the log gives
the same table.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.db import upsert_insert
from eventkit.events import Message
from eventkit.projection import Projection
from refdata.china_time import china_day
from relief_calc.adapters import readers as r
from relief_calc.adapters.tables import metadata
from relief_calc.adapters.topics import REFUND_TOPIC
from relief_calc.domain.paid import CREDITED, OFFSET, PAYMENT, REVERSAL, PaidEntry

PARTS = ("employer", "individual")

paid = sa.Table(
    "rc_paid",
    metadata,
    sa.Column("credit_code", sa.String(18), primary_key=True),
    sa.Column("fee_period", sa.String(7), primary_key=True),
    sa.Column("insurance", sa.String(16), primary_key=True),
    sa.Column("part", sa.String(16), primary_key=True),
    sa.Column("event_id", sa.String(36), primary_key=True),  # the refund event
    sa.Column("kind", sa.String(16), nullable=False),  # payment | reversal | offset | credited
    sa.Column("on_date", sa.Date, nullable=False),  # the day it counts from
    sa.Column("amount_fen", sa.BigInteger, nullable=False),  # signed: + pays, − re-opens
    sa.Column("reference", sa.String(64), nullable=False),  # payment id or credit id
)


async def apply(session: AsyncSession, msg: Message) -> None:
    e = msg.event
    recorded_on = china_day(msg.envelope.time)
    if isinstance(e, r.PaymentReceived):
        on = date.fromisoformat(e.value_date)
        await _record(session, msg, e.credit_code, PAYMENT, on, e.payment_id, [(a, a.amount_fen) for a in e.allocations])
    elif isinstance(e, r.PaymentReversed):
        await _record(
            session, msg, e.credit_code, REVERSAL, recorded_on, e.payment_id, [(a, -a.amount_fen) for a in e.allocations]
        )
    elif isinstance(e, r.OffsetApplied):
        await _record(session, msg, e.credit_code, OFFSET, recorded_on, e.credit_id, [(e, e.amount_fen)])
    elif isinstance(e, r.CreditArisen):
        await _record(session, msg, e.credit_code, CREDITED, recorded_on, e.credit_id, [(e, -e.amount_fen)])


async def _record(
    session: AsyncSession,
    msg: Message,
    credit_code: str,
    kind: str,
    on: date,
    reference: str,
    moves: list[tuple[r.Allocation | r.OffsetApplied | r.CreditArisen, int]],
) -> None:
    amounts: dict[tuple[str, str, str], int] = {}
    for account, fen in moves:
        # not the unallocated account, nor a construction project's (its premium is no monthly liability)
        if account.fee_period and account.part in PARTS and not account.project:
            key = (account.fee_period, account.insurance, account.part)
            amounts[key] = amounts.get(key, 0) + fen
    rows = [
        {
            "credit_code": credit_code,
            "fee_period": period,
            "insurance": insurance,
            "part": part,
            "event_id": msg.event_id,
            "kind": kind,
            "on_date": on,
            "amount_fen": fen,
            "reference": reference,
        }
        for (period, insurance, part), fen in sorted(amounts.items())
    ]
    if rows:
        await session.execute(upsert_insert(session, paid).values(rows).on_conflict_do_nothing())


async def paid_entries(session: AsyncSession, credit_code: str, fee_period: str) -> list[PaidEntry]:
    """Every entry of the payer's accounts of ``fee_period``, oldest first."""
    t = paid
    rows = await session.execute(
        sa.select(t)
        .where(t.c.credit_code == credit_code, t.c.fee_period == fee_period)
        .order_by(t.c.on_date, t.c.insurance, t.c.part, t.c.event_id)
    )
    return [PaidEntry(x.insurance, x.part, x.kind, x.on_date, int(x.amount_fen), x.reference, x.event_id) for x in rows]


def projection() -> Projection:
    return Projection(
        name="paid",
        topics=(REFUND_TOPIC,),
        tables=(paid,),
        handler=apply,
        registry=r.paid_registry,
        ignore=r.REFUND_IGNORED_PREFIXES,
    )
