"""The refund state machine without I/O: every transition, the refusals, idempotent bank statuses."""

from __future__ import annotations

import hashlib

import pytest

from refund.domain import allocation as alloc
from refund.domain import bank_actions as bank
from refund.domain import refunds as rf
from refund.domain.events import (
    OffsetApplied,
    RefundAccepted,
    RefundConvertedToOffset,
    RefundRejected,
    RefundSettled,
    RefundStatusFlagged,
)
from refund.domain.issues import Conflict, Rejected
from refund.domain.ledger import violations

from .helpers import KEYRING, RULE, Book, sealed

POLICY = rf.ApprovalPolicy(two_person_above_fen=10_000)
H1 = hashlib.sha256(b"pain.001 attempt 1").hexdigest()
H2 = hashlib.sha256(b"pain.001 attempt 2").hexdigest()


def credit_book(employer_fen: int = 16_000) -> Book:
    """February 2020 paid at full rates, then exempted: a credit settled by refund ex officio."""
    b = Book()
    b.add(alloc.record_liability(b.ledger, b.liability("2020-02", ("pension", employer_fen, 8_000)), RULE))
    b.add(alloc.receive_payment(b.ledger, b.payment(employer_fen + 8_000), RULE))
    b.add(alloc.record_liability(b.ledger, b.liability("2020-02", ("pension", 0, 8_000)), RULE))
    return b


def requested(b: Book, refund_id: str = "RF-1") -> Book:
    req = rf.RefundRequest(refund_id, sealed("6222020200001234"), "idx-1", "南通某公司", requested_by="system", ex_officio=True)
    b.add(rf.request(b.ledger, req))
    return b


def instructed(amount: int = 8_000) -> Book:
    b = requested(credit_book(amount))
    b.add(rf.approve(b.ledger, "RF-1", "officer-a", POLICY))
    b.add(rf.instruct(b.ledger, "RF-1", "MSG-1", H1))
    return b


def status(code: str, message_id: str = "MSG-1", **kw: object) -> rf.BankStatus:
    return rf.BankStatus("RF-1", message_id, code, **kw)  # type: ignore[arg-type]


def test_the_happy_path_requested_approved_instructed_accepted_settled_balances_the_ledger() -> None:
    b = requested(credit_book(8_000))
    state = rf.refund_of(b.ledger, "RF-1")
    assert (state.status, state.amount_fen, [d.credit_id for d in state.draws]) == ("requested", 8_000, ["C00001"])
    assert b.ledger.credits["C00001"].available == 0
    assert bank.next_action(state).kind == bank.NOTHING
    b.add(rf.approve(b.ledger, "RF-1", "officer-a", POLICY))
    assert rf.refund_of(b.ledger, "RF-1").status == "approved"
    assert bank.next_action(rf.refund_of(b.ledger, "RF-1")).kind == bank.SEND
    (ins,) = b.add(rf.instruct(b.ledger, "RF-1", "MSG-1", H1))
    assert (ins.end_to_end_id, ins.attempt, ins.payload_sha256) == ("RF-1", 1, H1)  # type: ignore[attr-defined]
    (acc,) = b.add(rf.record_status(b.ledger, "RF-1", status("ACCP")))
    assert isinstance(acc, RefundAccepted)
    (settled,) = b.add(rf.record_status(b.ledger, "RF-1", status("ACSC", bank_reference="BK-9", amount_fen=8_000)))
    assert isinstance(settled, RefundSettled) and settled.bank_reference == "BK-9"
    ledger = b.ledger
    assert rf.refund_of(ledger, "RF-1").status == "settled" and violations(ledger) == []
    lot = ledger.credits["C00001"]
    assert (lot.refunded, lot.open, ledger.money_out) == (8_000, 0, 8_000)
    assert sum(a.balance for a in ledger.accounts.values()) == 0


def test_the_account_travels_sealed() -> None:
    b = requested(credit_book())
    e = b.events[-1]
    assert "6222020200001234" not in e.model_dump_json()
    assert e.account.open(KEYRING, "refund/refund.account") == "6222020200001234"  # type: ignore[attr-defined]


def test_the_requester_cannot_approve_their_own_refund() -> None:
    b = Book()
    b = credit_book()
    b.add(rf.request(b.ledger, rf.RefundRequest("RF-1", sealed("6222020200001234"), "i", "n", requested_by="officer-a")))
    with pytest.raises(Rejected) as err:
        rf.approve(b.ledger, "RF-1", "officer-a", POLICY)
    assert err.value.issues[0].field == "approver" and "申请人" in err.value.issues[0].zh


def test_above_the_threshold_a_second_distinct_officer_is_required() -> None:
    b = requested(credit_book(16_000))
    (first,) = b.add(rf.approve(b.ledger, "RF-1", "officer-a", POLICY))
    assert (first.approvals, first.required) == (1, 2)  # type: ignore[attr-defined]
    assert rf.refund_of(b.ledger, "RF-1").status == "requested"
    assert rf.approve(b.ledger, "RF-1", "officer-a", POLICY) == []  # the same officer twice counts once
    with pytest.raises(Conflict) as err:
        rf.instruct(b.ledger, "RF-1", "MSG-1", H1)
    assert err.value.field == "status"
    b.add(rf.approve(b.ledger, "RF-1", "officer-b", POLICY))
    assert rf.refund_of(b.ledger, "RF-1").status == "approved"
    with pytest.raises(Conflict):
        rf.approve(b.ledger, "RF-1", "officer-c", POLICY)


def test_at_or_below_the_threshold_one_approval_is_enough() -> None:
    assert POLICY.required(10_000) == 1 and POLICY.required(10_001) == 2


def test_a_request_is_checked_field_by_field() -> None:
    b = credit_book()
    acct = sealed("6222020200001234")
    for req, field in [
        (rf.RefundRequest("x" * 36, acct, "i", "n", requested_by="s"), "refund_id"),
        (rf.RefundRequest("RF 1", acct, "i", "n", requested_by="s"), "refund_id"),
        (rf.RefundRequest("RF-1", acct, "", "n", requested_by="s"), "account_index"),
        (rf.RefundRequest("RF-1", acct, "i", "n", requested_by=""), "requested_by"),
        (rf.RefundRequest("RF-1", acct, "i", "n", requested_by="s", credit_ids=("C00009",)), "credit_ids[0]"),
    ]:
        with pytest.raises(Rejected) as err:
            rf.request(b.ledger, req)
        assert err.value.issues[0].field == field


def test_a_credit_is_refunded_once_a_second_request_finds_nothing_left() -> None:
    b = requested(credit_book())
    again = rf.RefundRequest("RF-1", sealed("6222020200001234"), "idx-1", "南通某公司", requested_by="system")
    assert rf.request(b.ledger, again) == []
    with pytest.raises(Conflict) as err:
        rf.request(b.ledger, rf.RefundRequest("RF-2", sealed("6222020200001234"), "idx-1", "x", requested_by="system"))
    assert err.value.field == "credit_ids"
    with pytest.raises(Rejected):
        rf.request(b.ledger, rf.RefundRequest("RF-3", sealed("1"), "i", "n", requested_by="s", credit_ids=("C00001",)))


def test_an_instruction_is_recorded_once_and_never_replaced_by_another_message() -> None:
    b = instructed()
    assert rf.instruct(b.ledger, "RF-1", "MSG-1", H1) == []
    with pytest.raises(Conflict) as err:
        rf.instruct(b.ledger, "RF-1", "MSG-2", H2)
    assert err.value.field == "message_id" and "never instruct again" in err.value.en
    with pytest.raises(Rejected) as bad:
        rf.instruct(b.ledger, "RF-1", "MSG-1", "not-a-hash")
    assert bad.value.issues[0].field == "payload_sha256"


def test_the_same_bank_status_twice_is_a_no_op() -> None:
    b = instructed()
    b.add(rf.record_status(b.ledger, "RF-1", status("ACSP")))
    assert rf.record_status(b.ledger, "RF-1", status("ACSP")) == []
    assert rf.record_status(b.ledger, "RF-1", status("PDNG")) == []
    b.add(rf.record_status(b.ledger, "RF-1", status("ACSC")))
    assert rf.record_status(b.ledger, "RF-1", status("ACSC")) == []
    assert rf.record_status(b.ledger, "RF-1", status("ACTC")) == []


def test_a_late_acsc_after_rjct_is_flagged_not_applied_and_blocks_retry() -> None:
    b = instructed()
    (rej,) = b.add(rf.record_status(b.ledger, "RF-1", status("RJCT", reason_code="AC04", reason="closed account")))
    assert isinstance(rej, RefundRejected) and rej.reason_code == "AC04"
    assert rf.record_status(b.ledger, "RF-1", status("RJCT", reason_code="AC04")) == []
    (flag,) = b.add(rf.record_status(b.ledger, "RF-1", status("ACSC")))
    assert isinstance(flag, RefundStatusFlagged) and flag.recorded_status == "rejected"
    assert rf.record_status(b.ledger, "RF-1", status("ACSC")) == []  # flagged once
    state = rf.refund_of(b.ledger, "RF-1")
    assert state.status == "rejected" and state.flagged and b.ledger.money_out == 0
    with pytest.raises(Conflict) as err:
        rf.retry(b.ledger, "RF-1", sealed("6222020200009999"), "idx-2", "n", by="officer-a")
    assert err.value.code == "refund.flagged"
    assert bank.after_timeout(state).kind == bank.WAIT


def test_a_rjct_after_settlement_is_flagged() -> None:
    b = instructed()
    b.add(rf.record_status(b.ledger, "RF-1", status("ACSC")))
    (flag,) = rf.record_status(b.ledger, "RF-1", status("RJCT", reason_code="AC04"))
    assert isinstance(flag, RefundStatusFlagged)


def test_bank_statuses_are_checked() -> None:
    b = instructed()
    with pytest.raises(Rejected) as err:
        rf.record_status(b.ledger, "RF-1", rf.BankStatus("RF-2", "MSG-1", "ACSC"))
    assert err.value.issues[0].field == "end_to_end_id"
    with pytest.raises(Rejected) as err:
        rf.record_status(b.ledger, "RF-1", status("XXXX"))
    assert err.value.issues[0].field == "code"
    with pytest.raises(Rejected) as err:
        rf.record_status(b.ledger, "RF-1", status("RJCT"))
    assert err.value.issues[0].field == "reason_code"
    (flag,) = rf.record_status(b.ledger, "RF-1", status("ACSC", message_id="MSG-X"))
    assert isinstance(flag, RefundStatusFlagged) and flag.reason == "unknown message id"
    (flag,) = rf.record_status(b.ledger, "RF-1", status("ACSC", amount_fen=1))
    assert isinstance(flag, RefundStatusFlagged)


def test_rejected_then_retried_to_a_corrected_account_keeps_the_refund_and_end_to_end_id() -> None:
    b = instructed()
    b.add(rf.record_status(b.ledger, "RF-1", status("RJCT", reason_code="AC04")))
    with pytest.raises(Rejected) as err:
        rf.retry(b.ledger, "RF-1", sealed("6222020200001234"), "idx-1", "n", by="officer-a")
    assert err.value.issues[0].field == "account"
    (retried,) = b.add(rf.retry(b.ledger, "RF-1", sealed("6222020200009999"), "idx-2", "n", by="officer-a"))
    assert retried.attempt == 2  # type: ignore[attr-defined]
    assert rf.refund_of(b.ledger, "RF-1").status == "requested"  # a new account is approved again
    b.add(rf.approve(b.ledger, "RF-1", "officer-b", POLICY))
    with pytest.raises(Conflict):
        rf.instruct(b.ledger, "RF-1", "MSG-1", H2)  # a message id is never reused
    (ins,) = b.add(rf.instruct(b.ledger, "RF-1", "MSG-2", H2))
    assert (ins.end_to_end_id, ins.attempt) == ("RF-1", 2)  # type: ignore[attr-defined]
    assert rf.record_status(b.ledger, "RF-1", status("RJCT", reason_code="AC04")) == []  # the old attempt's news
    (flag,) = rf.record_status(b.ledger, "RF-1", status("ACSC"))  # an old attempt paid after all?
    assert isinstance(flag, RefundStatusFlagged)
    b2 = Book()
    b2.events = [e for e in b.events]
    b2.add(rf.record_status(b2.ledger, "RF-1", status("ACSC", message_id="MSG-2")))
    assert rf.refund_of(b2.ledger, "RF-1").status == "settled" and violations(b2.ledger) == []


def test_a_rejected_refund_converted_to_offset_pays_the_next_dues() -> None:
    b = instructed()
    b.add(rf.record_status(b.ledger, "RF-1", status("RJCT", reason_code="AC04")))
    b.add(alloc.record_liability(b.ledger, b.liability("2020-03", ("pension", 5_000, 0)), RULE))
    with pytest.raises(Conflict) as err:  # the payer's choice came too late: the refund reached the bank
        rf.convert_to_offset(b.ledger, "RF-1", by="payer-1", role="payer", rule=RULE)
    assert err.value.field == "refund_id"
    events = b.add(rf.convert_to_offset(b.ledger, "RF-1", by="officer-a", role="tax_officer", rule=RULE))
    assert isinstance(events[0], RefundConvertedToOffset)
    assert [(e.fee_period, e.amount_fen) for e in events if isinstance(e, OffsetApplied)] == [("2020-03", 5_000)]
    assert rf.refund_of(b.ledger, "RF-1").status == "converted" and violations(b.ledger) == []
    assert rf.convert_to_offset(b.ledger, "RF-1", by="officer-a", role="tax_officer", rule=RULE) == []
    with pytest.raises(Conflict):
        rf.retry(b.ledger, "RF-1", sealed("6222020200009999"), "idx-2", "n", by="officer-a")


def test_the_payer_choosing_offset_before_instruction_converts_the_pending_refund() -> None:
    b = requested(credit_book())
    b.add(rf.approve(b.ledger, "RF-1", "officer-a", POLICY))
    events = b.add(alloc.choose_settlement(b.ledger, "C00001", "offset", by="payer-1", role="payer", rule=RULE))
    assert isinstance(events[0], RefundConvertedToOffset)
    assert rf.refund_of(b.ledger, "RF-1").status == "converted"
    with pytest.raises(Conflict):
        rf.instruct(b.ledger, "RF-1", "MSG-1", H1)


def test_after_instruction_the_payer_can_no_longer_choose_offset() -> None:
    b = instructed()
    with pytest.raises(Conflict) as err:
        alloc.choose_settlement(b.ledger, "C00001", "offset", by="payer-1", role="payer", rule=RULE)
    assert err.value.code == "settlement.too_late" and err.value.field == "credit_id"


def test_a_timeout_asks_the_bank_for_the_status_and_never_instructs_again() -> None:
    b = instructed()
    state = rf.refund_of(b.ledger, "RF-1")
    action = bank.after_timeout(state)
    assert (action.kind, action.end_to_end_id, action.message_id) == (bank.QUERY, "RF-1", "MSG-1")
    resend = bank.after_status_query(state, bank_knows_it=False)
    assert (resend.kind, resend.message_id, resend.payload_sha256) == (bank.RESEND, "MSG-1", H1)
    assert bank.after_status_query(state, bank_knows_it=True).kind == bank.NOTHING
    assert bank.next_action(state).kind == bank.NOTHING
    b.add(rf.record_status(b.ledger, "RF-1", status("ACSC")))
    assert bank.after_timeout(rf.refund_of(b.ledger, "RF-1")).kind == bank.NOTHING
