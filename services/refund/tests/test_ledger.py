"""The payer ledger without I/O: dues from liabilities, payments, credits, settlement and offsets."""

from __future__ import annotations

import pytest

from refund.domain import allocation as alloc
from refund.domain.allocation import SettlementRule
from refund.domain.events import CreditArisen, DueRecorded, OffsetApplied, PaymentReceived, PaymentReversed, SettlementChosen
from refund.domain.issues import Conflict, NotFound, Rejected
from refund.domain.ledger import UNALLOCATED, Key, fold, statement, totals, violations

from .helpers import PAYER, RULE, Book

FULL = ("pension", 16_000, 8_000)
EXEMPT = ("pension", 0, 8_000)


def test_february_2020_paid_in_full_then_exempted_becomes_a_credit_refunded_ex_officio_by_default() -> None:
    b = Book()
    b.add(alloc.record_liability(b.ledger, b.liability("2020-02", FULL), RULE))
    b.add(alloc.receive_payment(b.ledger, b.payment(24_000, "2020-02"), RULE))
    events = b.add(alloc.record_liability(b.ledger, b.liability("2020-02", EXEMPT), RULE))
    due, credit = events
    assert isinstance(due, DueRecorded) and due.cause == "reassessed"
    assert [(x.insurance, x.part, x.amount_fen, x.due_after_fen) for x in due.lines] == [("pension", "employer", -16_000, 0)]
    assert isinstance(credit, CreditArisen)
    assert (credit.fee_period, credit.part, credit.amount_fen, credit.settlement) == ("2020-02", "employer", 16_000, "refund")
    assert credit.rule == "税总函〔2020〕33号" and credit.cause == "reassessed"
    ledger = b.ledger
    assert violations(ledger) == []
    employer = ledger.accounts[Key("2020-02", "pension", "employer")]
    assert (employer.due, employer.paid, employer.credited, employer.outstanding, employer.credit, employer.balance) == (
        0, 16_000, 16_000, 0, 16_000, -16_000,
    )  # fmt: skip


def test_the_same_liability_twice_or_an_older_version_records_nothing() -> None:
    b = Book()
    first = b.liability("2020-03", FULL)
    b.add(alloc.record_liability(b.ledger, first, RULE))
    assert alloc.record_liability(b.ledger, first, RULE) == []
    second = b.liability("2020-03", EXEMPT)
    b.add(alloc.record_liability(b.ledger, second, RULE))
    stale = alloc.LiabilityNotice(PAYER, "2020-03", "reassessed", "another-id", 1, first.lines)
    assert alloc.record_liability(b.ledger, stale, RULE) == []
    assert b.ledger.accounts[Key("2020-03", "pension", "employer")].due == 0


def test_a_withdrawn_liability_reverses_everything_due_for_the_period() -> None:
    b = Book()
    b.add(alloc.record_liability(b.ledger, b.liability("2020-04", FULL, ("medical", 7_000, 2_000)), RULE))
    (entry,) = b.add(alloc.record_liability(b.ledger, b.liability("2020-04", kind="withdrawn"), RULE))
    assert isinstance(entry, DueRecorded) and entry.cause == "withdrawn"
    assert sorted(x.amount_fen for x in entry.lines) == [-16_000, -8_000, -7_000, -2_000]
    assert all(line.due_fen == 0 for line in statement(b.ledger))


def test_a_payment_goes_to_the_named_period_first_then_oldest_first_and_the_excess_becomes_an_offset_credit() -> None:
    b = Book()
    for period in ("2020-03", "2020-04", "2020-05"):
        b.add(alloc.record_liability(b.ledger, b.liability(period, FULL), RULE))
    (paid, credit) = b.add(alloc.receive_payment(b.ledger, b.payment(24_000 + 16_000 + 8_000 + 24_000 + 100, "2020-05"), RULE))
    assert isinstance(paid, PaymentReceived)
    assert [(a.fee_period, a.part, a.amount_fen) for a in paid.allocations] == [
        ("2020-05", "employer", 16_000),
        ("2020-05", "individual", 8_000),
        ("2020-03", "employer", 16_000),
        ("2020-03", "individual", 8_000),
        ("2020-04", "employer", 16_000),
        ("2020-04", "individual", 8_000),
        ("", "unallocated", 100),
    ]
    assert isinstance(credit, CreditArisen) and credit.cause == "payment_excess" and credit.settlement == "offset"
    assert (credit.fee_period, credit.part, credit.amount_fen) == ("", "unallocated", 100)
    # the prepaid 100 fen pays the next due as soon as it is recorded
    events = b.add(alloc.record_liability(b.ledger, b.liability("2020-06", FULL), RULE))
    offsets = [e for e in events if isinstance(e, OffsetApplied)]
    assert [(o.fee_period, o.part, o.amount_fen, o.reason) for o in offsets] == [("2020-06", "employer", 100, "offset")]
    assert violations(b.ledger) == []


def test_a_named_insurance_narrows_the_first_allocation() -> None:
    b = Book()
    b.add(alloc.record_liability(b.ledger, b.liability("2020-03", FULL, ("medical", 7_000, 2_000)), RULE))
    (paid,) = b.add(alloc.receive_payment(b.ledger, b.payment(9_000, "2020-03", "medical"), RULE))
    assert isinstance(paid, PaymentReceived)
    assert [(a.insurance, a.part, a.amount_fen) for a in paid.allocations] == [
        ("medical", "employer", 7_000),
        ("medical", "individual", 2_000),
    ]


def test_a_payment_is_recorded_once_per_bank_reference() -> None:
    b = Book()
    notice = b.payment(500)
    b.add(alloc.receive_payment(b.ledger, notice, RULE))
    assert alloc.receive_payment(b.ledger, notice, RULE) == []
    with pytest.raises(Conflict) as err:
        alloc.receive_payment(b.ledger, alloc.PaymentNotice(PAYER, "P9", notice.bank_reference, 600, "2020-03-16"), RULE)
    assert err.value.field == "bank_reference" and "银行流水号" in err.value.zh


@pytest.mark.parametrize("amount", [0, -1])
def test_a_payment_of_nothing_is_refused_naming_the_field(amount: int) -> None:
    with pytest.raises(Rejected) as err:
        alloc.receive_payment(Book().ledger, alloc.PaymentNotice(PAYER, "P1", "B1", amount, "2020-03-15"), RULE)
    assert [i.field for i in err.value.issues] == ["amount_fen"]
    assert err.value.issues[0].zh and err.value.issues[0].en


def test_a_ledger_refuses_another_payers_entries() -> None:
    b = Book()
    b.add(alloc.record_liability(b.ledger, b.liability("2020-03", FULL), RULE))
    with pytest.raises(Rejected) as err:
        alloc.receive_payment(b.ledger, alloc.PaymentNotice("91110000100000000X", "P1", "B1", 5, "2020-03-15"), RULE)
    assert err.value.issues[0].field == "credit_code"


def test_a_negative_amount_due_is_refused_naming_the_line() -> None:
    b = Book()
    with pytest.raises(Rejected) as err:
        alloc.record_liability(b.ledger, b.liability("2020-03", FULL, ("medical", -1, 0)), RULE)
    assert err.value.issues[0].field == "lines[1].employer_fen"


def test_a_reversed_payment_reverses_its_allocations_and_cancels_its_unspent_credit() -> None:
    b = Book()
    b.add(alloc.record_liability(b.ledger, b.liability("2020-03", FULL), RULE))
    b.add(alloc.receive_payment(b.ledger, b.payment(30_000), RULE))
    events = b.add(alloc.reverse_payment(b.ledger, PAYER, "BANK1", "REV1", "returned", RULE))
    assert isinstance(events[0], PaymentReversed)
    assert [(e.credit_id, e.fee_period, e.part, e.amount_fen, e.reason) for e in events[1:] if isinstance(e, OffsetApplied)] == [
        ("C00001", "", "unallocated", 6_000, "absorbed")
    ]
    ledger = b.ledger
    assert violations(ledger) == [] and ledger.credits["C00001"].open == 0
    assert [k for k in ledger.owed()] == [Key("2020-03", "pension", "employer"), Key("2020-03", "pension", "individual")]
    assert alloc.reverse_payment(ledger, PAYER, "BANK1", "REV1", "returned", RULE) == []
    with pytest.raises(Conflict):
        alloc.reverse_payment(ledger, PAYER, "BANK1", "REV2", "again", RULE)
    with pytest.raises(NotFound):
        alloc.reverse_payment(ledger, PAYER, "NOPE", "REV3", "x", RULE)


def test_a_reassessment_up_absorbs_the_accounts_own_unspent_credit_first() -> None:
    b = Book()
    b.add(alloc.record_liability(b.ledger, b.liability("2020-02", FULL), RULE))
    b.add(alloc.receive_payment(b.ledger, b.payment(24_000), RULE))
    b.add(alloc.record_liability(b.ledger, b.liability("2020-02", EXEMPT), RULE))  # credit 16,000 (refund)
    events = b.add(alloc.record_liability(b.ledger, b.liability("2020-02", ("pension", 8_000, 8_000)), RULE))  # halved
    assert [(e.amount_fen, e.reason) for e in events if isinstance(e, OffsetApplied)] == [(8_000, "absorbed")]
    ledger = b.ledger
    assert ledger.credits["C00001"].available == 8_000 and ledger.owed() == [] and violations(ledger) == []


def test_the_payer_may_choose_offset_which_pays_the_next_dues_oldest_first() -> None:
    b = Book()
    b.add(alloc.record_liability(b.ledger, b.liability("2020-02", FULL), RULE))
    b.add(alloc.receive_payment(b.ledger, b.payment(24_000), RULE))
    b.add(alloc.record_liability(b.ledger, b.liability("2020-02", EXEMPT), RULE))
    b.add(alloc.record_liability(b.ledger, b.liability("2020-04", ("pension", 10_000, 0)), RULE))
    b.add(alloc.record_liability(b.ledger, b.liability("2020-03", ("pension", 10_000, 0)), RULE))
    events = b.add(alloc.choose_settlement(b.ledger, "C00001", "offset", by="payer-1", role="payer", rule=RULE))
    assert isinstance(events[0], SettlementChosen)
    assert [(e.fee_period, e.amount_fen) for e in events if isinstance(e, OffsetApplied)] == [
        ("2020-03", 10_000),
        ("2020-04", 6_000),
    ]
    assert alloc.choose_settlement(b.ledger, "C00001", "offset", by="payer-1", role="payer", rule=RULE) == []
    line = statement(b.ledger, "2020-02")[0]
    assert (line.part, line.offset_out_fen, line.credit_fen, line.balance_fen) == ("employer", 16_000, 0, 0)
    with pytest.raises(Conflict) as err:
        alloc.choose_settlement(b.ledger, "C00001", "refund", by="officer", role="tax_officer", rule=RULE)
    assert err.value.field == "credit_id"


def test_settlement_choices_are_checked() -> None:
    b = Book()
    b.add(alloc.record_liability(b.ledger, b.liability("2020-02", FULL), RULE))
    b.add(alloc.receive_payment(b.ledger, b.payment(24_001), RULE))
    with pytest.raises(Rejected) as err:
        alloc.choose_settlement(b.ledger, "C00001", "cash", by="p", role="payer", rule=RULE)
    assert err.value.issues[0].field == "settlement"
    with pytest.raises(Rejected) as err:  # the payer may switch to offset, not to refund (the rule's default)
        alloc.choose_settlement(b.ledger, "C00001", "refund", by="p", role="payer", rule=RULE)
    assert err.value.issues[0].code == "settlement.not_allowed"
    with pytest.raises(NotFound):
        alloc.choose_settlement(b.ledger, "C09999", "offset", by="p", role="payer", rule=RULE)


def test_a_province_rule_outside_the_window_defaults_to_offset_and_can_widen_it() -> None:
    assert RULE.default_for(Key("2020-03", "pension", "employer"), "reassessed") == "offset"
    assert RULE.default_for(Key("2020-02", "pension", "employer"), "reassessed") == "refund"
    assert RULE.default_for(UNALLOCATED, "payment_excess") == "offset"
    wide = SettlementRule(rule_id="province-42", ex_officio_last="2020-06")
    assert wide.default_for(Key("2020-05", "medical", "employer"), "reassessed") == "refund"


def test_statement_lines_are_in_a_stable_order_and_total_the_accounts() -> None:
    b = Book()
    b.add(alloc.record_liability(b.ledger, b.liability("2020-04", ("maternity", 500, 0), FULL), RULE))
    b.add(alloc.record_liability(b.ledger, b.liability("2020-03", ("work_injury", 400, 0), ("medical", 7_000, 2_000)), RULE))
    b.add(alloc.receive_payment(b.ledger, b.payment(1), RULE))
    lines = statement(b.ledger)
    assert [(x.fee_period, x.insurance, x.part) for x in lines] == [
        ("2020-03", "work_injury", "employer"),
        ("2020-03", "medical", "employer"),
        ("2020-03", "medical", "individual"),
        ("2020-04", "pension", "employer"),
        ("2020-04", "pension", "individual"),
        ("2020-04", "maternity", "employer"),
    ]
    assert sum(x.balance_fen for x in lines) == totals(b.ledger).balance == 7_000 + 2_000 + 400 + 500 + 24_000 - 1


def test_violations_name_an_overpaid_account_that_has_no_credit() -> None:
    b = Book()
    b.add(alloc.record_liability(b.ledger, b.liability("2020-03", FULL), RULE))
    forged = PaymentReceived(
        credit_code=PAYER, payment_id="X", bank_reference="X", amount_fen=20_000, value_date="2020-03-01",
        remittance=alloc.Remittance(), allocations=(alloc.Allocation(fee_period="2020-03", insurance="pension", part="employer", amount_fen=20_000),),
    )  # fmt: skip
    problems = violations(fold([*b.events, forged]))
    assert problems and "overpaid by 4000 fen" in problems[0]
