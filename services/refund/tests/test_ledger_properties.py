"""Random sequences of dues, reassessments, withdrawals, payments, reversals, choices and refunds
keep the ledger balanced to the fen, never make a negative credit, and offset oldest first.

The expected totals come from a model kept by the test itself (what was assessed last per period,
what was paid and reversed, what refunds settled), not from the ledger's own counters."""

from __future__ import annotations

import hashlib

from hypothesis import example, given, settings
from hypothesis import strategies as st

from eventkit.events import Event
from refund.domain import allocation as alloc
from refund.domain import refunds as rf
from refund.domain.events import OffsetApplied
from refund.domain.issues import Conflict
from refund.domain.ledger import OFFSET, Ledger, violations

from .helpers import RULE, Book, sealed

PERIODS = ("2020-01", "2020-02", "2020-02", "2020-03")  # 2020-02: credits refunded ex officio
PROJECTS = ("NT-1", "NT-2")  # both started 2020-03: their accounts sit beside March's monthly ones
LINE = st.tuples(st.sampled_from(("pension", "medical", "work_injury")), st.integers(0, 20_000), st.integers(0, 8_000))
OPS = st.one_of(
    st.tuples(st.just("assess"), st.sampled_from(PERIODS), st.lists(LINE, max_size=3, unique_by=lambda x: x[0])),
    st.tuples(st.just("withdraw"), st.sampled_from(PERIODS), st.just([])),
    st.tuples(st.just("pay"), st.sampled_from((None, *PERIODS)), st.integers(1, 60_000)),
    st.tuples(st.just("reverse"), st.integers(0, 20), st.just(0)),
    st.tuples(st.just("offset"), st.integers(0, 20), st.just(0)),
    st.tuples(st.just("refund"), st.sampled_from(("ACSC", "RJCT", "convert")), st.just(0)),
    # construction projects: a premium (re)assessed on its own account, and payments naming it
    st.tuples(st.just("project"), st.sampled_from(PROJECTS), st.integers(0, 30_000)),
    st.tuples(st.just("pay_project"), st.sampled_from(PROJECTS), st.integers(1, 40_000)),
)


def check_offsets_oldest_first(before: Ledger, events: list[Event]) -> None:
    """Each offset by choice pays the oldest outstanding account, from the oldest offset credit."""
    work = before.copy()
    for e in events:
        if isinstance(e, OffsetApplied) and e.reason == "offset":
            owed = work.owed()
            assert owed, "an offset with nothing outstanding"
            assert (e.fee_period, e.insurance, e.part, e.project or "") == (
                owed[0].fee_period, owed[0].insurance, owed[0].part, owed[0].project,
            )  # fmt: skip
            eligible = [c.credit_id for c in work.credits.values() if c.settlement == OFFSET and c.available > 0]
            assert e.credit_id == eligible[0]
        work.apply(e)


@settings(max_examples=300, deadline=None)
@given(ops=st.lists(OPS, max_size=25))
@example(  # February paid, exempted (a credit refunded ex officio), then halved: the credit is absorbed
    ops=[
        ("assess", "2020-02", [("pension", 16_000, 8_000)]),
        ("pay", "2020-02", 24_000),
        ("assess", "2020-02", [("pension", 0, 8_000)]),
        ("assess", "2020-02", [("pension", 8_000, 8_000)]),
    ]
)
def test_random_ledgers_balance_to_the_fen(ops: list[tuple[str, object, object]]) -> None:
    b = Book()
    assessed: dict[str, dict[tuple[str, str, str, str], int]] = {}  # source → account → due
    money_in = money_out = 0
    paid: list[tuple[str, int]] = []
    reversed_refs: set[str] = set()
    refunds = 0
    for op, a, c in ops:
        before = b.ledger
        events: list[Event] = []
        if op == "assess":
            lines = c  # type: ignore[assignment]
            events = alloc.record_liability(before, b.liability(str(a), *lines), RULE)  # type: ignore[arg-type]
            assessed[str(a)] = {(str(a), i, p, ""): v for i, e, ind in lines for p, v in (("employer", e), ("individual", ind))}  # type: ignore[attr-defined]
        elif op == "withdraw":
            events = alloc.record_liability(before, b.liability(str(a), kind="withdrawn"), RULE)
            assessed[str(a)] = {}
        elif op == "pay":
            notice = b.payment(int(c), None if a is None else str(a))  # type: ignore[call-overload]
            events = alloc.receive_payment(before, notice, RULE)
            paid.append((notice.bank_reference, notice.amount_fen))
            money_in += notice.amount_fen
        elif op == "project":
            events = alloc.record_liability(before, b.project_liability(str(a), int(c)), RULE)  # type: ignore[call-overload]
            assessed[f"project:{a}"] = {("2020-03", "work_injury", "employer", str(a)): int(c)}  # type: ignore[call-overload]
        elif op == "pay_project":
            notice = b.payment(int(c), project=str(a))  # type: ignore[call-overload]
            events = alloc.receive_payment(before, notice, RULE)
            paid.append((notice.bank_reference, notice.amount_fen))
            money_in += notice.amount_fen
        elif op == "reverse" and paid:
            ref, amount = paid[int(a) % len(paid)]  # type: ignore[call-overload]
            events = alloc.reverse_payment(before, before.credit_code, ref, f"R-{ref}", "returned", RULE)
            if ref not in reversed_refs:
                reversed_refs.add(ref)
                money_in -= amount
        elif op == "offset" and before.credits:
            credit_id = list(before.credits)[int(a) % len(before.credits)]  # type: ignore[call-overload]
            try:
                events = alloc.choose_settlement(before, credit_id, "offset", by="p", role="payer", rule=RULE)
            except Conflict:
                events = []
        elif op == "refund":
            refunds += 1
            refund_id = f"RF-{refunds}"
            try:
                events = rf.request(before, rf.RefundRequest(refund_id, sealed("6222020200001234"), "i", "n", requested_by="s"))
            except Conflict:
                events = []
            if events:
                work = b.ledger
                b.add(events)
                b.add(rf.approve(b.ledger, refund_id, "officer", rf.ApprovalPolicy(10**12)))
                b.add(rf.instruct(b.ledger, refund_id, f"M-{refund_id}", hashlib.sha256(refund_id.encode()).hexdigest()))
                if a == "ACSC":
                    b.add(rf.record_status(b.ledger, refund_id, rf.BankStatus(refund_id, f"M-{refund_id}", "ACSC")))
                    money_out += rf.refund_of(b.ledger, refund_id).amount_fen
                else:
                    b.add(
                        rf.record_status(
                            b.ledger, refund_id, rf.BankStatus(refund_id, f"M-{refund_id}", "RJCT", reason_code="AC04")
                        )
                    )
                    if a == "convert":
                        conv = rf.convert_to_offset(b.ledger, refund_id, by="o", role="tax_officer", rule=RULE)
                        check_offsets_oldest_first(b.ledger, conv)
                        b.add(conv)
                assert violations(b.ledger) == [], (work, b.ledger)
                continue
        check_offsets_oldest_first(before, events)
        b.add(events)
        ledger = b.ledger
        assert violations(ledger) == []
        assert all(lot.open >= 0 and lot.available >= 0 for lot in ledger.credits.values())
        assert all(acc.outstanding >= 0 and acc.credit >= 0 for acc in ledger.accounts.values())
        # an account owed again first takes back its own unreserved credit
        assert all(ledger.accounts[lot.origin].outstanding == 0 for lot in ledger.credits.values() if lot.available > 0)
    ledger = b.ledger
    expected_due = {account: v for lines in assessed.values() for account, v in lines.items()}
    for key, acc in ledger.accounts.items():
        assert acc.due == expected_due.get((key.fee_period, key.insurance, key.part, key.project), 0)
    total_due = sum(expected_due.values())
    assert sum(acc.balance for acc in ledger.accounts.values()) == total_due - money_in + money_out
    # nothing offset-settled waits while a due is outstanding
    if ledger.owed():
        assert not any(c.settlement == OFFSET and c.available > 0 for c in ledger.credits.values())
