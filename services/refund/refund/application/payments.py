"""Payments the bank notifies (camt.054): onto the payer's ledger, or parked for an officer.

Per entry of the notification, each in its own savepoint of one transaction:

* a credit (money in) whose remittance names a payer with something due (a fee period's
  ``/USCC/…/PRD/…/INS/…``, or a construction project's premium ``/USCC/…/PRJ/<project code>``)
  → ``receive_payment`` on the payer's ledger (``PaymentReceived``, allocated to the named period first, then oldest first;
  an excess becomes a credit); the same bank reference again records nothing;
* a reversal (a debit naming the original entry's bank reference) → ``reverse_payment`` on the
  ledger that recorded the original;
* anything that cannot be put on a ledger → ``PaymentParked`` (stream ``parked-<bank reference>``),
  with the reason: an unreadable remittance, an unknown payer, a payer with nothing due, a
  reversal of a payment never recorded. Parked once per bank reference; never dropped;
* other debits (the bureau's own transfers, confirmed elsewhere) are acknowledged and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.crypto import Keyring, Sealed
from eventkit.store import EventStore
from iso20022.camt054 import DebitCreditNotification
from iso20022.entries import Entry, PaymentRemittance, ProjectRemittance
from refund.adapters.tables import kernel
from refund.application.dues import load_ledger
from refund.domain.allocation import PaymentNotice, SettlementRule, receive_payment, reverse_payment
from refund.domain.events import ACCOUNT_CONTEXT, PaymentParked, PaymentReceived, Remittance, ledger_stream
from refund.domain.issues import Conflict, NotFound, Rejected


@dataclass(frozen=True)
class Outcome:
    bank_reference: str
    outcome: str  # recorded | duplicate | reversed | parked | ignored
    credit_code: str | None = None
    reason: str | None = None


async def _park(
    session: AsyncSession, store: EventStore, keyring: Keyring | None, entry: Entry, reason: str, code: str | None
) -> Outcome:
    stream = f"parked-{entry.bank_reference}"
    if await store.version(session, stream):
        return Outcome(entry.bank_reference, "duplicate", code, reason)
    debtor = entry.debtor
    event = PaymentParked(
        bank_reference=entry.bank_reference,
        amount_fen=entry.amount_fen,
        credit_debit=entry.credit_debit,
        reversal=entry.reversal,
        value_date=entry.value_date.isoformat(),
        reason=reason,
        remittance_text=entry.remittance,
        credit_code=code,
        debtor_name=debtor.name if debtor else None,
        debtor_account=Sealed.seal(debtor.account, keyring, ACCOUNT_CONTEXT) if debtor and keyring else None,
    )
    await store.append(session, stream, 0, [event], subject=code or entry.bank_reference)
    return Outcome(entry.bank_reference, "parked", code, reason)


async def _payer_of(session: AsyncSession, bank_reference: str) -> str | None:
    """The payer whose ledger recorded the payment with this bank reference."""
    t = kernel.events
    return await session.scalar(
        sa.select(t.c.subject)
        .where(t.c.event_type == PaymentReceived.name, t.c.data["bank_reference"].as_string() == bank_reference)
        .limit(1)
    )


async def record_entry(
    session: AsyncSession, store: EventStore, keyring: Keyring | None, entry: Entry, rule: SettlementRule
) -> Outcome:
    if entry.reversal:
        original = entry.original_bank_reference or ""
        code = await _payer_of(session, original)
        if code is None:
            return await _park(session, store, keyring, entry, "unknown_original", None)
        ledger, version = await load_ledger(session, store, code)
        events = reverse_payment(ledger, code, original, entry.bank_reference, "bank reversal", rule)
        await store.append(session, ledger_stream(code), version, events, subject=code)
        return Outcome(entry.bank_reference, "reversed" if events else "duplicate", code)
    if entry.credit_debit != "CRDT":
        return Outcome(entry.bank_reference, "ignored")
    remittance = PaymentRemittance.parse(entry.remittance)
    project = ProjectRemittance.parse(entry.remittance)
    if remittance is not None:
        code, named = (
            remittance.credit_code,
            Remittance(fee_period=remittance.fee_period, insurance=remittance.insurance, text=entry.remittance or ""),
        )
    elif project is not None:
        code, named = project.credit_code, Remittance(project=project.project_code, text=entry.remittance or "")
    else:
        return await _park(session, store, keyring, entry, "unreadable_remittance", None)
    ledger, version = await load_ledger(session, store, code)
    if version == 0:
        return await _park(session, store, keyring, entry, "unknown_payer", code)
    if entry.bank_reference not in ledger.payment_by_reference and not ledger.owed():
        return await _park(session, store, keyring, entry, "nothing_due", code)
    debtor = entry.debtor
    notice = PaymentNotice(
        credit_code=code,
        payment_id=f"P-{entry.bank_reference}",
        bank_reference=entry.bank_reference,
        amount_fen=entry.amount_fen,
        value_date=entry.value_date.isoformat(),
        remittance=named,
        payer_account=Sealed.seal(debtor.account, keyring, ACCOUNT_CONTEXT) if debtor and keyring else None,
        payer_account_index=keyring.blind_index(debtor.account, context=ACCOUNT_CONTEXT) if debtor and keyring else None,
        payer_name=debtor.name if debtor else None,
    )
    events = receive_payment(ledger, notice, rule)
    await store.append(session, ledger_stream(code), version, events, subject=code)
    return Outcome(entry.bank_reference, "recorded" if events else "duplicate", code)


async def record_notification(
    session: AsyncSession, store: EventStore, keyring: Keyring | None, message: DebitCreditNotification, rule: SettlementRule
) -> list[Outcome]:
    out = []
    for entry in message.entries:
        try:
            async with session.begin_nested():
                out.append(await record_entry(session, store, keyring, entry, rule))
        except (Rejected, Conflict, NotFound) as refusal:  # the ledger refuses it: an officer looks
            code = getattr(refusal, "code", None) or "refused"
            async with session.begin_nested():
                out.append(await _park(session, store, keyring, entry, f"refused:{code}", None))
    return out
