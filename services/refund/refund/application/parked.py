"""Officers resolving parked payments (money the bank notified that no ledger took).

`assign` appends, in one transaction, the resolution on the parked stream (expected version: the
parked payment alone, so a second resolution — concurrent or later — is refused) and the payment
on the payer's ledger (`allocation.receive_payment`: the named period first, then oldest first,
an excess becomes a credit). `send_back` records only the resolution for now.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import Message
from eventkit.store import EventStore
from refund.adapters.tables import kernel
from refund.application.dues import load_ledger
from refund.domain import parked
from refund.domain.allocation import SettlementRule, receive_payment
from refund.domain.events import PaymentParked, ledger_stream
from refund.domain.parked_events import PaymentParkedResolved


async def _load(session: AsyncSession, store: EventStore, bank_reference: str) -> tuple[parked.ParkedState | None, list[Message]]:
    messages = await store.load(session, parked.parked_stream(bank_reference))
    return parked.fold_parked(m.event for m in messages), messages


async def assign(
    session: AsyncSession, store: EventStore, bank_reference: str, assignment: parked.Assignment, rule: SettlementRule
) -> dict[str, Any]:
    state, messages = await _load(session, store, bank_reference)
    resolved, notice = parked.assign(state, assignment)
    ledger, version = await load_ledger(session, store, assignment.credit_code)
    entries = receive_payment(ledger, notice, rule)
    await store.append(session, parked.parked_stream(bank_reference), len(messages), [resolved], subject=messages[0].subject)
    await store.append(session, ledger_stream(assignment.credit_code), version, entries, subject=assignment.credit_code)
    return {**resolved.model_dump(mode="json"), "status": parked.RESOLVED, "ledger_entries": [e.name for e in entries]}


async def send_back(
    session: AsyncSession, store: EventStore, bank_reference: str, *, note: str, by: str, role: str
) -> dict[str, Any]:
    state, messages = await _load(session, store, bank_reference)
    resolved = parked.send_back(state, note=note, by=by, role=role)
    await store.append(session, parked.parked_stream(bank_reference), len(messages), [resolved], subject=messages[0].subject)
    return {**resolved.model_dump(mode="json"), "status": parked.RESOLVED}


async def listing(session: AsyncSession, status: str | None) -> list[dict[str, Any]]:
    """Parked payments oldest first, each with its status and resolution (accounts masked)."""
    t = kernel.events
    rows = (
        await session.execute(
            sa.select(t.c.event_type, t.c.data, t.c.occurred_at)
            .where(t.c.event_type.in_((PaymentParked.name, PaymentParkedResolved.name)))
            .order_by(t.c.position)
        )
    ).all()
    resolutions = {data["bank_reference"]: (data, at) for kind, data, at in rows if kind == PaymentParkedResolved.name}
    items = []
    for kind, data, at in rows:
        if kind != PaymentParked.name:
            continue
        account = data.get("debtor_account")
        done = resolutions.get(data["bank_reference"])
        item = {
            **data,
            "debtor_account": account["masked"] if account else None,
            "parked_at": at.isoformat(),
            "status": parked.OPEN if done is None else parked.RESOLVED,
            "resolution": None if done is None else {**done[0], "resolved_at": done[1].isoformat()},
        }
        if status is None or item["status"] == status:
            items.append(item)
    return items
