"""Bank statuses (pain.002) onto the refunds, whether they come as the answer to an instruction,
the answer to a status query, or a signed callback — the same report recorded twice records
nothing twice (`record_status` is idempotent per status).

A rejection for duplication (AM05: "this end-to-end id was already instructed") is not the
refund's status: it says the bank already holds an instruction of this money, so the caller asks
for that instruction's status instead of recording a rejection.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta, timezone

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eventkit.commands import retrying
from eventkit.store import EventStore
from iso20022 import PaymentStatusReport, TransactionStatus
from refund.adapters.refunds import payer_of
from refund.application.dues import load_ledger
from refund.domain.events import ledger_stream
from refund.domain.issues import NotFound, Rejected
from refund.domain.refunds import BankStatus, record_status

log = logging.getLogger(__name__)
CN = timezone(timedelta(hours=8))
DUPLICATION = "AM05"
STATUSES = Counter("refund_bank_statuses_total", "Bank statuses of refunds, by code and outcome", ["code", "outcome"])


@dataclass(frozen=True)
class StatusOutcome:
    end_to_end_id: str
    code: str
    outcome: str  # recorded | unchanged | duplicate_instruction | unknown_refund | refused
    events: tuple[str, ...] = ()
    detail: str = ""


def is_duplicate_instruction(tx: TransactionStatus) -> bool:
    return tx.status == "RJCT" and tx.reason_code == DUPLICATION


def bank_status(report: PaymentStatusReport, tx: TransactionStatus) -> BankStatus:
    settled_on = tx.accepted_at.astimezone(CN).date().isoformat() if tx.status == "ACSC" and tx.accepted_at else None
    return BankStatus(
        end_to_end_id=tx.original_end_to_end_id, message_id=report.original_message_id, code=tx.status,
        reason_code=tx.reason_code or "", reason=tx.reason_text or "", amount_fen=tx.original_amount_fen,
        booking_date=settled_on,
    )  # fmt: skip


async def record_one(
    sessions: async_sessionmaker[AsyncSession],
    store: EventStore,
    report: PaymentStatusReport,
    tx: TransactionStatus,
    credit_code: str | None = None,
) -> StatusOutcome:
    """Record one transaction's status on its refund; `credit_code`, when the caller knows the
    payer (the bank worker does), saves looking the refund up."""
    e2e, code = tx.original_end_to_end_id, tx.status
    if is_duplicate_instruction(tx):
        outcome = StatusOutcome(e2e, code, "duplicate_instruction")
    else:

        async def command(session: AsyncSession) -> StatusOutcome:
            payer = credit_code or await payer_of(session, e2e)
            if payer is None:
                return StatusOutcome(e2e, code, "unknown_refund")
            ledger, version = await load_ledger(session, store, payer)
            events = record_status(ledger, e2e, bank_status(report, tx))
            await store.append(session, ledger_stream(payer), version, events, subject=payer)
            return StatusOutcome(e2e, code, "recorded" if events else "unchanged", tuple(e.name for e in events))

        try:
            outcome = await retrying(sessions, command)
        except (NotFound, Rejected) as exc:
            outcome = StatusOutcome(e2e, code, "refused", detail=str(exc))
    STATUSES.labels(code, outcome.outcome).inc()
    if outcome.outcome in ("unknown_refund", "refused"):
        log.warning("bank status %s for %s not recorded: %s %s", code, e2e, outcome.outcome, outcome.detail)
    return outcome


async def record_report(
    sessions: async_sessionmaker[AsyncSession], store: EventStore, report: PaymentStatusReport
) -> list[StatusOutcome]:
    return [await record_one(sessions, store, report, tx) for tx in report.transactions]
