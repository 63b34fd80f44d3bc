"""Resolving a parked payment without I/O: assign it to a payer (a normal payment, same bank
reference), or return it; once only; only money received."""

from __future__ import annotations

import pytest

from refund.domain import allocation as alloc
from refund.domain import parked
from refund.domain.events import PaymentParked, PaymentReceived
from refund.domain.issues import Conflict, NotFound, Rejected

from .helpers import PAYER, RULE, Book


def parked_payment(**over: object) -> PaymentParked:
    fields: dict[str, object] = {
        "bank_reference": "BK1", "amount_fen": 10_000, "credit_debit": "CRDT", "reversal": False, "value_date": "2020-03-20",
        "reason": "unknown_payer", "remittance_text": "货款", "credit_code": None, "debtor_name": "某公司", "debtor_account": None,
    } | over  # fmt: skip
    return PaymentParked(**fields)  # type: ignore[arg-type]


def test_assigned_money_lands_on_the_payers_ledger_as_a_payment_of_the_parked_reference() -> None:
    b = Book()
    b.add(alloc.record_liability(b.ledger, b.liability("2020-03", ("pension", 6_000, 2_000)), RULE))
    state = parked.fold_parked([parked_payment()])
    a = parked.Assignment(PAYER, "payer confirmed by phone", "officer-a", "tax_officer", "2020-03", "pension")
    resolved, notice = parked.assign(state, a)
    (payment, *_rest) = b.add(alloc.receive_payment(b.ledger, notice, RULE))
    assert isinstance(payment, PaymentReceived)
    assert (payment.bank_reference, payment.payment_id, payment.amount_fen) == ("BK1", "P-BK1", 10_000)
    assert (resolved.resolution, resolved.credit_code, resolved.by) == ("assigned", PAYER, "officer-a")
    assert b.ledger.credits and sum(c.amount for c in b.ledger.credits.values()) == 2_000  # 8,000 due, 10,000 paid
    assert alloc.receive_payment(b.ledger, notice, RULE) == []  # the same assignment cannot pay twice


def test_one_resolution_only_and_only_for_money_received() -> None:
    state = parked.fold_parked([parked_payment()])
    done = parked.send_back(state, note="not ours", by="officer-a", role="tax_officer")
    assert done.resolution == "returned"
    resolved = parked.fold_parked([parked_payment(), done])
    assert resolved is not None and resolved.status == "resolved"
    with pytest.raises(Conflict):
        parked.assign(resolved, parked.Assignment(PAYER, "late", "officer-b", "tax_officer"))
    with pytest.raises(Conflict):
        parked.send_back(parked.fold_parked([parked_payment(credit_debit="DBIT", reversal=True)]), note="x", by="o", role="r")
    with pytest.raises(NotFound):
        parked.send_back(None, note="x", by="o", role="r")
    with pytest.raises(Rejected) as bad:
        parked.assign(state, parked.Assignment(PAYER, "x", "o", "tax_officer", fee_period="2020-13"))
    assert bad.value.issues[0].field == "fee_period"
