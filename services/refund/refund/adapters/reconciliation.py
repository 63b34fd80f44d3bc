"""Read model of reconciliation (projection ``reconciliation``, fed by the service's own topic
``refund.events``): what moved money on the bureau's account as this service recorded it (the
records matching needs: payments, parked payments, reversals, settled refunds, each with its
day, bank reference, end-to-end id and amount), the statements imported and the reconciliation
items. Rebuildable like every projection (`refund rebuild --projection reconciliation`).

Which day a record belongs to: a payment's (or parked payment's) value date; a reversal's day
is the day it was recorded; a settled refund's its booking date when the event has one, else the
day it was recorded — days in China time (Asia/Shanghai, UTC+8 all year).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.db import upsert_insert
from eventkit.events import Message
from eventkit.projection import Projection
from eventkit.schema import TZDateTime
from refund.adapters.tables import metadata
from refund.adapters.topics import REFUND_TOPIC
from refund.domain.events import PaymentParked, PaymentReceived, PaymentReversed, RefundSettled, registry
from refund.domain.reconciliation import CREDIT, DEBIT, PARKED, PAYMENT, REFUND, REVERSAL, Record
from refund.domain.reconciliation_events import ReconciliationItemRaised, ReconciliationItemResolved, StatementImported

CHINA = timezone(timedelta(hours=8))
Fen = sa.BigInteger

records = sa.Table(
    "rf_recon_records",
    metadata,
    sa.Column("record_id", sa.String(80), primary_key=True),  # ref:<bank reference> | e2e:<refund id>
    sa.Column("kind", sa.String(16), nullable=False),  # payment | parked | reversal | refund
    sa.Column("bank_reference", sa.String(35), nullable=False, index=True),  # "" when unknown
    sa.Column("end_to_end_id", sa.String(35), index=True),
    sa.Column("credit_debit", sa.String(4), nullable=False),
    sa.Column("amount_fen", Fen, nullable=False),
    sa.Column("day", sa.String(10), nullable=False, index=True),
    sa.Column("credit_code", sa.String(18)),
)
statements = sa.Table(
    "rf_recon_statements",
    metadata,
    sa.Column("account", sa.String(34), primary_key=True),
    sa.Column("statement_date", sa.String(10), primary_key=True),
    sa.Column("stream_id", sa.String(200), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("statement_id", sa.String(35), nullable=False),
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("opening_balance_fen", Fen, nullable=False),
    sa.Column("closing_balance_fen", Fen, nullable=False),
    sa.Column("booked_count", sa.Integer, nullable=False),
    sa.Column("booked_fen", Fen, nullable=False),  # credits plus debits, unsigned
    sa.Column("credits_fen", Fen, nullable=False),
    sa.Column("debits_fen", Fen, nullable=False),
    sa.Column("pending_count", sa.Integer, nullable=False),
    sa.Column("imported_by", sa.String(200), nullable=False),
    sa.Column("imported_at", TZDateTime, nullable=False),
)
items = sa.Table(
    "rf_recon_items",
    metadata,
    sa.Column("item_id", sa.String(40), primary_key=True),
    sa.Column("stream_id", sa.String(200), nullable=False),
    sa.Column("account", sa.String(34), nullable=False),
    sa.Column("statement_date", sa.String(10), nullable=False, index=True),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),  # open | resolved
    sa.Column("resolution", sa.String(16)),  # resolved | superseded | rematched
    sa.Column("bank_reference", sa.String(35), nullable=False),
    sa.Column("end_to_end_id", sa.String(35)),
    sa.Column("credit_debit", sa.String(4), nullable=False),
    sa.Column("statement_amount_fen", Fen),
    sa.Column("recorded_amount_fen", Fen),
    sa.Column("record_kind", sa.String(16)),
    sa.Column("credit_code", sa.String(18)),
    sa.Column("raised_at", TZDateTime, nullable=False),
    sa.Column("resolved_at", TZDateTime),
    sa.Column("resolved_by", sa.String(200)),
    sa.Column("note", sa.Text),
)
TABLES = (records, statements, items)
WITHDRAWN = ("superseded", "rematched")  # closed by the system: the mismatch is gone


def china_day(at: datetime) -> str:
    return at.astimezone(CHINA).date().isoformat()


def _iso(at: datetime | None) -> str | None:
    """UTC ISO time (SQLite hands back the naive UTC it was given)."""
    return None if at is None else (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


# ---- the projection -----------------------------------------------------------------------------
async def apply(session: AsyncSession, msg: Message) -> None:
    e, at = msg.event, msg.envelope.time
    if isinstance(e, PaymentReceived):
        await _record(session, f"ref:{e.bank_reference}", PAYMENT, e.bank_reference, None, CREDIT, e.amount_fen, e.value_date,
                      e.credit_code)  # fmt: skip
    elif isinstance(e, PaymentParked):
        await _record(session, f"ref:{e.bank_reference}", PARKED, e.bank_reference, None, e.credit_debit, e.amount_fen,
                      e.value_date, e.credit_code, keep_existing=True)  # fmt: skip
    elif isinstance(e, PaymentReversed):
        await _record(session, f"ref:{e.reversal_reference}", REVERSAL, e.reversal_reference, None, DEBIT, e.amount_fen,
                      china_day(at), e.credit_code)  # fmt: skip
    elif isinstance(e, RefundSettled):
        await _record(session, f"e2e:{e.refund_id}", REFUND, e.bank_reference, e.refund_id, DEBIT, e.amount_fen,
                      e.booking_date or china_day(at), e.credit_code)  # fmt: skip
    elif isinstance(e, StatementImported):
        await _statement(session, e, msg.envelope.streamid or "", at)
    elif isinstance(e, ReconciliationItemRaised):
        await session.execute(
            sa.insert(items).values(
                item_id=e.item_id, stream_id=msg.envelope.streamid or "", account=e.account, statement_date=e.statement_date,
                revision=e.revision, kind=e.kind, status="open", bank_reference=e.bank_reference,
                end_to_end_id=e.end_to_end_id, credit_debit=e.credit_debit, statement_amount_fen=e.statement_amount_fen,
                recorded_amount_fen=e.recorded_amount_fen, record_kind=e.record_kind, credit_code=e.credit_code, raised_at=at,
            )
        )  # fmt: skip
    elif isinstance(e, ReconciliationItemResolved):
        await session.execute(
            sa.update(items)
            .where(items.c.item_id == e.item_id)
            .values(status="resolved", resolution=e.resolution, resolved_at=at, resolved_by=e.by, note=e.note)
        )


async def _record(
    session: AsyncSession, record_id: str, kind: str, reference: str, e2e: str | None, direction: str, amount: int, day: str,
    credit_code: str | None, *, keep_existing: bool = False,
) -> None:  # fmt: skip
    values = {"kind": kind, "bank_reference": reference, "end_to_end_id": e2e, "credit_debit": direction,
              "amount_fen": amount, "day": day, "credit_code": credit_code}  # fmt: skip
    insert = upsert_insert(session, records).values(record_id=record_id, **values)
    if keep_existing:  # a parked payment never overwrites the payment it became
        await session.execute(insert.on_conflict_do_nothing(index_elements=[records.c.record_id]))
    else:
        await session.execute(insert.on_conflict_do_update(index_elements=[records.c.record_id], set_=values))


async def _statement(session: AsyncSession, e: StatementImported, stream_id: str, at: datetime) -> None:
    booked = [line for line in e.lines if line.status == "BOOK"]
    credits = sum(x.amount_fen for x in booked if x.credit_debit == CREDIT)
    debits = sum(x.amount_fen for x in booked if x.credit_debit == DEBIT)
    values = {
        "stream_id": stream_id, "revision": e.revision, "statement_id": e.statement_id, "content_sha256": e.content_sha256,
        "opening_balance_fen": e.opening_balance_fen, "closing_balance_fen": e.closing_balance_fen,
        "booked_count": len(booked), "booked_fen": credits + debits, "credits_fen": credits, "debits_fen": debits,
        "pending_count": len(e.lines) - len(booked), "imported_by": e.imported_by, "imported_at": at,
    }  # fmt: skip
    insert = upsert_insert(session, statements).values(account=e.account, statement_date=e.statement_date, **values)
    await session.execute(
        insert.on_conflict_do_update(index_elements=[statements.c.account, statements.c.statement_date], set_=values)
    )


def projection() -> Projection:
    return Projection(name="reconciliation", topics=(REFUND_TOPIC,), tables=TABLES, handler=apply, registry=registry)


# ---- queries ------------------------------------------------------------------------------------
async def records_for(session: AsyncSession, day: str, references: Iterable[str], e2e_ids: Iterable[str]) -> list[Record]:
    """The records of `day`, and the records of any day a statement line names (by bank
    reference or end-to-end id)."""
    t = records
    refs, e2es = sorted(set(references) - {""}), sorted(set(e2e_ids) - {""})
    rows: dict[str, Any] = {}
    for clause in [t.c.day == day, *_chunked(t.c.bank_reference, refs), *_chunked(t.c.end_to_end_id, e2es)]:
        for row in (await session.execute(sa.select(t).where(clause))).all():
            rows[row.record_id] = row
    return [
        Record(
            kind=r.kind, bank_reference=r.bank_reference, amount_fen=r.amount_fen, credit_debit=r.credit_debit, day=r.day,
            end_to_end_id=r.end_to_end_id, credit_code=r.credit_code,
        )
        for _, r in sorted(rows.items())
    ]  # fmt: skip


def _chunked(column: sa.ColumnElement[Any], values: Sequence[str], size: int = 500) -> list[sa.ColumnElement[bool]]:
    return [column.in_(values[i : i + size]) for i in range(0, len(values), size)]


async def item_stream(session: AsyncSession, item_id: str) -> str | None:
    stream: str | None = await session.scalar(sa.select(items.c.stream_id).where(items.c.item_id == item_id))
    return stream


async def list_items(
    session: AsyncSession, *, status: str | None, day: str | None, kind: str | None, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    t = items
    where = [c for c in (
        t.c.status == status if status else None,
        t.c.statement_date == day if day else None,
        t.c.kind == kind if kind else None,
    ) if c is not None]  # fmt: skip
    total = int(await session.scalar(sa.select(sa.func.count()).select_from(t).where(*where)) or 0)
    rows = await session.execute(
        sa.select(t).where(*where).order_by(t.c.statement_date, t.c.raised_at, t.c.item_id).offset(offset).limit(limit)
    )
    return [item_json(r._mapping) for r in rows], total


def item_json(row: Any) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k != "stream_id"}
    for k in ("raised_at", "resolved_at"):
        out[k] = _iso(out[k])
    return out


async def daily_report(session: AsyncSession, day: str) -> dict[str, Any] | None:
    """Per account: the statement's balances and lines, and matched / missing / extra / wrong
    amount (count and fen) as the current matching stands — items the system closed because the
    mismatch is gone do not count; items an officer resolved still do (and say so)."""
    stmts = (await session.execute(sa.select(statements).where(statements.c.statement_date == day))).all()
    if not stmts:
        return None
    out = []
    for s in sorted(stmts, key=lambda r: r.account):
        rows = (
            await session.execute(
                sa.select(items).where(
                    items.c.account == s.account,
                    items.c.statement_date == day,
                    sa.or_(items.c.resolution.is_(None), items.c.resolution.notin_(WITHDRAWN)),
                )
            )
        ).all()
        by_kind = {k: [r for r in rows if r.kind == k] for k in ("missing", "extra", "wrong_amount")}
        on_lines = by_kind["extra"] + by_kind["wrong_amount"]  # the statement lines that did not match
        matched_fen = s.booked_fen - sum(r.statement_amount_fen or 0 for r in on_lines)

        def tally(rs: list[Any], field: str) -> dict[str, int]:
            return {
                "count": len(rs),
                "amount_fen": sum(getattr(r, field) or 0 for r in rs),
                "open": sum(1 for r in rs if r.status == "open"),
            }

        out.append(
            {
                "account": s.account,
                "statement_id": s.statement_id,
                "revision": s.revision,
                "imported_at": _iso(s.imported_at),
                "opening_balance_fen": s.opening_balance_fen,
                "closing_balance_fen": s.closing_balance_fen,
                "booked": {"count": s.booked_count, "credits_fen": s.credits_fen, "debits_fen": s.debits_fen},
                "pending_count": s.pending_count,
                "matched": {"count": s.booked_count - len(on_lines), "amount_fen": matched_fen},
                "missing": tally(by_kind["missing"], "recorded_amount_fen"),
                "extra": tally(by_kind["extra"], "statement_amount_fen"),
                "wrong_amount": {
                    **tally(by_kind["wrong_amount"], "statement_amount_fen"),
                    "recorded_fen": sum(r.recorded_amount_fen or 0 for r in by_kind["wrong_amount"]),
                },
            }
        )
    return {"day": day, "statements": out}
