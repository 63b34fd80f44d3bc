"""Importing the bank's daily statement (camt.053) and matching it against what this service
recorded; officers resolving the mismatches.

`import_statement`, in the caller's transaction: fold the statement day's stream, read the
records of the day (and any the statement's lines name) from the ``reconciliation`` projection,
match (`domain.reconciliation.reconcile`), let the statement day decide what to record
(`domain.reconciliation_items.record_statement`) and append with the stream's expected version.
The projection follows the log through Kafka, so a record appended a moment before the import
may not be seen yet: it is raised as a mismatch, and importing the same statement again once the
record is there closes it (`rematched`). Counterparty accounts are sealed before they are stored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.crypto import Keyring, Sealed
from eventkit.errors import ConcurrencyError
from eventkit.store import EventStore
from iso20022.camt053 import Statement
from refund.adapters.reconciliation import item_stream, records_for
from refund.adapters.tables import kernel
from refund.domain.issues import NotFound
from refund.domain.reconciliation import Line, reconcile
from refund.domain.reconciliation_events import (
    ReconciliationItemRaised,
    ReconciliationItemResolved,
    StatementImported,
    StatementLine,
    statement_stream,
    statement_subject,
)
from refund.domain.reconciliation_items import fold_statement, record_statement, resolve_item

ACCOUNT_CONTEXT = "refund/statement.counterparty_account"


@dataclass
class ImportOutcome:
    stream: str
    account: str
    day: str
    revision: int
    recorded: bool  # a new revision of the statement was recorded (False: the same content again)
    matched: int
    raised: list[dict[str, Any]] = field(default_factory=list)
    closed: list[dict[str, Any]] = field(default_factory=list)


def content_sha256(stmt: Statement) -> str:
    """What makes two statements the same: everything but the message id and the time the bank
    generated the file (a statement fetched twice is one statement)."""
    data = stmt.model_dump(mode="json", exclude={"message_id", "created_at"})
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def statement_event(stmt: Statement, body: bytes, keyring: Keyring | None, by: str) -> StatementImported:
    lines = []
    for e in stmt.entries:
        party = e.creditor if e.credit_debit == "DBIT" else e.debtor
        lines.append(
            StatementLine(
                bank_reference=e.bank_reference, amount_fen=e.amount_fen, credit_debit=e.credit_debit, reversal=e.reversal,
                status=e.status, value_date=e.value_date.isoformat(), end_to_end_id=e.end_to_end_id,
                original_bank_reference=e.original_bank_reference, counterparty_name=party.name if party else None,
                counterparty_account=Sealed.seal(party.account, keyring, ACCOUNT_CONTEXT) if party and keyring else None,
            )
        )  # fmt: skip
    return StatementImported(
        account=stmt.account, statement_date=stmt.statement_date.isoformat(), statement_id=stmt.statement_id,
        message_id=stmt.message_id, content_sha256=content_sha256(stmt), file_sha256=hashlib.sha256(body).hexdigest(),
        revision=0, opening_balance_fen=stmt.opening_balance.signed_fen, closing_balance_fen=stmt.closing_balance.signed_fen,
        lines=tuple(lines), imported_by=by,
    )  # fmt: skip


async def import_statement(
    session: AsyncSession, store: EventStore, keyring: Keyring | None, stmt: Statement, body: bytes, by: str
) -> ImportOutcome:
    """Retried on a concurrent import of the same day (a savepoint per attempt: the second
    decides again on what the first recorded)."""
    for attempt in range(5):
        try:
            async with session.begin_nested():
                return await _import(session, store, keyring, stmt, body, by)
        except ConcurrencyError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


async def _import(
    session: AsyncSession, store: EventStore, keyring: Keyring | None, stmt: Statement, body: bytes, by: str
) -> ImportOutcome:
    day = stmt.statement_date.isoformat()
    stream = statement_stream(stmt.account, day)
    state = fold_statement(m.event for m in await store.load(session, stream))
    lines = [Line(e.bank_reference, e.amount_fen, e.credit_debit, e.end_to_end_id, e.status == "BOOK") for e in stmt.entries]
    recorded = await records_for(session, day, (x.bank_reference for x in lines), (x.end_to_end_id for x in lines))
    result = reconcile(day, lines, recorded)
    events = record_statement(state, statement_event(stmt, body, keyring, by), result.discrepancies)
    await store.append(session, stream, state.version, events, subject=statement_subject(stmt.account))
    imported = [e for e in events if isinstance(e, StatementImported)]
    revision = imported[0].revision if imported else (state.current.revision if state.current else 0)
    return ImportOutcome(
        stream=stream, account=stmt.account, day=day, revision=revision, recorded=bool(imported), matched=len(result.matched),
        raised=[_raised(e) for e in events if isinstance(e, ReconciliationItemRaised)],
        closed=[{"item_id": e.item_id, "resolution": e.resolution} for e in events if isinstance(e, ReconciliationItemResolved)],
    )  # fmt: skip


def _raised(e: ReconciliationItemRaised) -> dict[str, Any]:
    return e.model_dump(mode="json", exclude={"account", "statement_date"})


async def resolve(session: AsyncSession, store: EventStore, item_id: str, *, by: str, role: str, note: str) -> dict[str, Any]:
    stream = await item_stream(session, item_id) or await _stream_in_store(session, item_id)
    if stream is None:
        raise NotFound("reconciliation_item", f"没有对账差异 {item_id}", f"no reconciliation item {item_id}")
    state = fold_statement(m.event for m in await store.load(session, stream))
    events = resolve_item(state, item_id, by=by, role=role, note=note)
    raised = state.items[item_id].raised
    await store.append(session, stream, state.version, events, subject=statement_subject(raised.account))
    return {**_raised(raised), **events[0].model_dump(mode="json"), "status": "resolved"}


async def _stream_in_store(session: AsyncSession, item_id: str) -> str | None:
    """The item's stream from the event store, for an item the projection has not seen yet."""
    t = kernel.events
    stream: str | None = await session.scalar(
        sa.select(t.c.stream_id)
        .where(t.c.event_type == ReconciliationItemRaised.name, t.c.data["item_id"].as_string() == item_id)
        .limit(1)
    )
    return stream
