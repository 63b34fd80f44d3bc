"""The simulator's ledger rows as ISO 20022 messages (and requests back from bytes)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone

from pydantic import BaseModel

from banksim.config import Settings
from banksim.ledger import Booking, Transfer
from iso20022 import (
    Balance,
    CreditTransferInitiation,
    DebitCreditNotification,
    Entry,
    Party,
    PaymentStatusReport,
    Statement,
    TransactionStatus,
    pain001,
)
from iso20022.pain002 import REASONS

CHINA = timezone(timedelta(hours=8))
XML = "application/xml"
JSON = "application/json"
_CODES = {"transfer": "PMNT/ICDT/ESCT", "payment": "PMNT/RCDT/ESCT", "reversal": "PMNT/RCDT/RRTN"}


def now_cn() -> datetime:
    return datetime.now(CHINA).replace(microsecond=0)


def new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:24]


def wants_json(content_type: str | None) -> bool:
    return content_type is not None and "json" in content_type.lower()


def parse_instruction(body: bytes, content_type: str | None) -> CreditTransferInitiation:
    return CreditTransferInitiation.from_json(body) if wants_json(content_type) else pain001.parse(body)


def render(msg: BaseModel, as_json: bool) -> tuple[bytes, str]:
    return (msg.to_json(), JSON) if as_json else (msg.to_xml(), XML)  # type: ignore[attr-defined]


def tx_status(t: Transfer, status: str | None = None, reason: str | None = None) -> TransactionStatus:
    status = status or t.status
    code = (reason or t.reason_code) if status == "RJCT" else None
    return TransactionStatus(
        original_end_to_end_id=t.end_to_end_id,
        status=status,  # type: ignore[arg-type]
        reason_code=code,
        reason_text=REASONS.get(code) if code else None,
        accepted_at=None if status == "RJCT" else datetime.fromisoformat(t.received_at),
        original_amount_fen=t.amount_fen,
    )


def group_status(statuses: Sequence[TransactionStatus]) -> str:
    kinds = {s.status for s in statuses}
    if len(kinds) == 1:
        return kinds.pop()
    return "PART" if "RJCT" in kinds else "ACCP"


def status_report(original_message_id: str, payment_info_id: str, statuses: Sequence[TransactionStatus]) -> PaymentStatusReport:
    return PaymentStatusReport(
        message_id=new_id("BKSTS"),
        created_at=now_cn(),
        original_message_id=original_message_id,
        group_status=group_status(statuses),  # type: ignore[arg-type]
        original_payment_info_id=payment_info_id,
        transactions=tuple(statuses),
    )


def entry(b: Booking) -> Entry:
    party = Party(name=b.party_name, account=b.party_account)
    day = date.fromisoformat(b.booking_date)
    return Entry(
        bank_reference=b.bank_reference,
        amount_fen=b.amount_fen,
        credit_debit=b.credit_debit,  # type: ignore[arg-type]
        reversal=b.kind == "reversal",
        booking_date=day,
        value_date=day,
        bank_transaction_code=_CODES[b.kind],
        end_to_end_id=b.end_to_end_id,
        original_bank_reference=b.original_bank_reference,
        debtor=None if b.kind == "transfer" else party,
        creditor=party if b.kind == "transfer" else None,
        remittance=b.remittance,
    )


def notification(settings: Settings, b: Booking) -> DebitCreditNotification:
    msg_id = new_id("BKNTF")
    return DebitCreditNotification(
        message_id=msg_id, created_at=now_cn(), notification_id=msg_id, account=settings.account, entries=(entry(b),)
    )


def statement(settings: Settings, day: date, opening_fen: int, bookings: Sequence[Booking]) -> Statement:
    entries = tuple(entry(b) for b in bookings)
    closing = opening_fen + sum(e.signed_fen for e in entries)
    return Statement(
        message_id=new_id("BKSTM"),
        created_at=now_cn(),
        statement_id=f"{settings.account[:24]}-{day:%Y%m%d}",
        statement_date=day,
        account=settings.account,
        opening_balance=Balance.of(opening_fen),
        closing_balance=Balance.of(closing),
        entries=entries,
    )
