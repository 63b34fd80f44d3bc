"""Round-trip properties: for any valid message, XML → parse gives the same model, JSON → parse
gives the same model, and building is deterministic (the same model, the same bytes)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from iso20022 import (
    Balance,
    CreditTransfer,
    CreditTransferInitiation,
    DebitCreditNotification,
    Entry,
    Party,
    PaymentStatusReport,
    Statement,
    TransactionStatus,
    camt053,
    camt054,
    pain001,
    pain002,
)
from iso20022.amounts import MAX_FEN

# Any character XML 1.0 carries unchanged: no controls, surrogates or non-characters.
_chars = st.characters(blacklist_categories=("Cc", "Cs", "Cn"))
text35 = st.text(_chars, min_size=1, max_size=35)
text140 = st.text(_chars, min_size=1, max_size=140)
account = st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz", min_size=1, max_size=34)
fen = st.integers(min_value=1, max_value=MAX_FEN // 1000)
offsets = st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))])
aware = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=offsets)
days = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 1, 1))
party = st.builds(Party, name=text140, account=account)
reason = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=4, max_size=4)

# (builds() over the model itself would also fill in the alias ``amount``: validate a dict instead)
transfer = st.fixed_dictionaries(
    {
        "end_to_end_id": text35,
        "amount_fen": fen,
        "creditor": party,
        "creditor_agent": st.none() | account,
        "remittance": st.none() | text140,
    }
).map(CreditTransfer.model_validate)
pain001_msgs = st.builds(
    CreditTransferInitiation,
    message_id=text35,
    created_at=aware,
    initiating_party=text140,
    payment_info_id=text35,
    requested_execution_date=days,
    debtor=party,
    debtor_agent=account,
    transactions=st.lists(transfer, min_size=1, max_size=5, unique_by=lambda t: t.end_to_end_id).map(tuple),
)


@st.composite
def tx_status(draw: Any) -> TransactionStatus:
    status = draw(st.sampled_from(["ACCP", "ACSC", "RJCT", "PDNG"]))
    rejected = status == "RJCT"
    return TransactionStatus(
        original_end_to_end_id=draw(text35),
        status=status,
        reason_code=draw(reason) if rejected else None,
        reason_text=draw(st.none() | text140) if rejected else None,
        accepted_at=draw(st.none() | aware),
        original_amount_fen=draw(st.none() | fen),
    )


@st.composite
def pain002_msgs(draw: Any) -> PaymentStatusReport:
    group = draw(st.none() | st.sampled_from(["ACCP", "ACSC", "RJCT", "PDNG", "PART"]))
    return PaymentStatusReport(
        message_id=draw(text35),
        created_at=draw(aware),
        original_message_id=draw(text35),
        group_status=group,
        group_reason_code=draw(st.none() | reason) if group == "RJCT" else None,
        original_payment_info_id=draw(text35),
        transactions=tuple(draw(st.lists(tx_status(), min_size=0 if group else 1, max_size=4))),
    )


@st.composite
def entries(draw: Any, day: date | None = None) -> Entry:
    reversal = draw(st.booleans())
    return Entry(
        bank_reference=draw(text35),
        amount_fen=draw(fen),
        credit_debit=draw(st.sampled_from(["CRDT", "DBIT"])),
        reversal=reversal,
        status=draw(st.sampled_from(["BOOK", "PDNG"])),
        booking_date=day or draw(days),
        value_date=draw(days),
        bank_transaction_code=draw(st.sampled_from(["PMNT/RCDT/ESCT", "PMNT/ICDT/ESCT", "PMNT/RCDT/RRTN"])),
        end_to_end_id=draw(text35),
        original_bank_reference=draw(st.none() | text35) if reversal else None,
        debtor=draw(st.none() | party),
        creditor=draw(st.none() | party),
        remittance=draw(st.none() | text140),
    )


camt054_msgs = st.builds(
    DebitCreditNotification,
    message_id=text35,
    created_at=aware,
    notification_id=text35,
    account=account,
    entries=st.lists(entries(), min_size=1, max_size=4).map(tuple),
)


@st.composite
def camt053_msgs(draw: Any) -> Statement:
    day = draw(days)
    items = tuple(draw(st.lists(entries(day), max_size=5)))
    opening = draw(st.integers(min_value=-(10**12), max_value=10**12))
    closing = opening + sum(e.signed_fen for e in items if e.status == "BOOK")
    return Statement(
        message_id=draw(text35),
        created_at=draw(aware),
        statement_id=draw(text35),
        statement_date=day,
        account=draw(account),
        opening_balance=Balance.of(opening),
        closing_balance=Balance.of(closing),
        entries=items,
    )


def _round_trip(msg: Any, module: Any) -> None:
    data = msg.to_xml()
    assert module.parse(data) == msg
    assert module.build(module.parse(data)) == data
    assert msg.to_xml() == data
    assert type(msg).from_json(msg.to_json()) == msg


@settings(max_examples=150)
@given(pain001_msgs)
def test_pain001_round_trip(msg: CreditTransferInitiation) -> None:
    _round_trip(msg, pain001)


@settings(max_examples=150)
@given(pain002_msgs())
def test_pain002_round_trip(msg: PaymentStatusReport) -> None:
    _round_trip(msg, pain002)


@settings(max_examples=150)
@given(camt054_msgs)
def test_camt054_round_trip(msg: DebitCreditNotification) -> None:
    _round_trip(msg, camt054)


@settings(max_examples=150)
@given(camt053_msgs())
def test_camt053_round_trip(msg: Statement) -> None:
    _round_trip(msg, camt053)
