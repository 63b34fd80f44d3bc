"""A construction project's lump-sum premium on the contractor's ledger (工程建设项目按项目参保,
DOMAIN.md §2.5), without I/O: its own account, paid by a payment naming it, and refunded ex officio
when relief-calc reassesses it lower."""

from __future__ import annotations

from refund.domain import allocation as alloc
from refund.domain.allocation import LiabilityLineNotice, LiabilityNotice, PaymentNotice
from refund.domain.events import CreditArisen, DueRecorded, PaymentReceived, RefundRequested, Remittance
from refund.domain.ledger import Key, statement, violations

from .helpers import PAYER, RULE, Book, sealed

PROJECT = Key("2020-03", "work_injury", "employer", "NT-2020-0301")
MONTHLY = Key("2020-03", "work_injury", "employer")


def project_liability(version: int, payable: int) -> LiabilityNotice:
    return LiabilityNotice(
        credit_code=PAYER, fee_period="2020-03", kind="assessed" if version == 1 else "reassessed",
        source_event_id=f"prj-{version}", source_version=version,
        lines=(LiabilityLineNotice("work_injury", payable, 0),), project="NT-2020-0301",
    )  # fmt: skip


def project_payment(amount: int, n: int = 1) -> PaymentNotice:
    return PaymentNotice(
        PAYER, f"PP{n}", f"BANKP{n}", amount, "2020-03-20", Remittance(project="NT-2020-0301", text="/USCC/…/PRJ/NT-2020-0301"),
        payer_account=sealed("6222020200007654321"), payer_account_index="idx-1", payer_name="南通某某建设有限公司",
    )  # fmt: skip


def test_the_premium_has_its_own_account_beside_the_monthly_work_injury_of_the_same_month() -> None:
    b = Book()
    b.add(alloc.record_liability(b.ledger, b.liability("2020-03", ("work_injury", 4_800, 0)), RULE))
    [due] = b.add(alloc.record_liability(b.ledger, project_liability(1, 1_200_000), RULE))
    assert isinstance(due, DueRecorded) and due.project == "NT-2020-0301" and due.fee_period == "2020-03"
    ledger = b.ledger
    assert (ledger.due_of(PROJECT), ledger.due_of(MONTHLY)) == (1_200_000, 4_800)
    # the month's liability reassessed (exempt) leaves the project's premium alone, and the other way round
    b.add(alloc.record_liability(b.ledger, b.liability("2020-03", ("work_injury", 0, 0)), RULE))
    assert (b.ledger.due_of(PROJECT), b.ledger.due_of(MONTHLY)) == (1_200_000, 0)
    # the project's stream has versions of its own: version 1 of the month's stream does not hide it
    assert alloc.record_liability(b.ledger, project_liability(1, 1_200_000), RULE) == []
    lines = {(x.fee_period, x.insurance, x.project): x.due_fen for x in statement(b.ledger)}
    assert lines == {("2020-03", "work_injury", None): 0, ("2020-03", "work_injury", "NT-2020-0301"): 1_200_000}


def test_a_payment_naming_the_project_pays_it_first_and_a_monthly_one_does_not() -> None:
    b = Book()
    b.add(alloc.record_liability(b.ledger, b.liability("2020-03", ("work_injury", 4_800, 0)), RULE))
    b.add(alloc.record_liability(b.ledger, project_liability(1, 1_200_000), RULE))
    [paid] = b.add(alloc.receive_payment(b.ledger, project_payment(1_200_000), RULE))
    assert isinstance(paid, PaymentReceived)
    assert [(a.project, a.amount_fen) for a in paid.allocations] == [("NT-2020-0301", 1_200_000)]
    [monthly] = b.add(alloc.receive_payment(b.ledger, b.payment(4_800, "2020-03", "work_injury"), RULE))
    assert isinstance(monthly, PaymentReceived)
    assert [(a.project, a.amount_fen) for a in monthly.allocations] == [(None, 4_800)]
    assert violations(b.ledger) == []


def test_a_premium_paid_in_full_then_reassessed_lower_is_refunded_ex_officio_by_exactly_the_relief() -> None:
    b = Book()
    b.add(alloc.record_liability(b.ledger, project_liability(1, 1_200_000), RULE))
    b.add(alloc.receive_payment(b.ledger, project_payment(1_200_000), RULE))
    due, credit, request = b.add(alloc.record_liability(b.ledger, project_liability(2, 200_000), RULE))
    assert isinstance(due, DueRecorded) and [(x.amount_fen, x.due_after_fen) for x in due.lines] == [(-1_000_000, 200_000)]
    assert isinstance(credit, CreditArisen)
    assert (credit.project, credit.amount_fen, credit.settlement, credit.cause) == (
        "NT-2020-0301",
        1_000_000,
        "refund",
        "reassessed",
    )
    assert isinstance(request, RefundRequested) and request.ex_officio and request.amount_fen == 1_000_000
    account = b.ledger.accounts[PROJECT]
    assert (account.due, account.paid, account.credited, account.outstanding, account.balance) == (
        200_000, 1_200_000, 1_000_000, 0, -1_000_000,
    )  # fmt: skip
    assert violations(b.ledger) == []
