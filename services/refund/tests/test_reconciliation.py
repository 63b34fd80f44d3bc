"""Matching a statement against the records, and the statement day's decisions — without I/O:
examples for every rule, then properties over random statements and records."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refund.domain.issues import Conflict, NotFound, Rejected
from refund.domain.reconciliation import Line, Record, reconcile
from refund.domain.reconciliation_events import ReconciliationItemRaised, ReconciliationItemResolved, StatementImported
from refund.domain.reconciliation_items import fold_statement, record_statement, resolve_item

DAY = "2020-03-20"


def pay(ref: str, fen: int, day: str = DAY) -> Record:
    return Record("payment", ref, fen, "CRDT", day, credit_code="91320600MA00000015")


def refund(refund_id: str, fen: int, ref: str = "", day: str = DAY) -> Record:
    return Record("refund", ref, fen, "DBIT", day, end_to_end_id=refund_id)


def credit(ref: str, fen: int) -> Line:
    return Line(ref, fen, "CRDT")


def debit(ref: str, fen: int, e2e: str = "NOTPROVIDED") -> Line:
    return Line(ref, fen, "DBIT", e2e)


def kinds(result: object) -> list[tuple[str, str]]:
    return sorted((d.kind, d.bank_reference) for d in result.discrepancies)  # type: ignore[attr-defined]


def test_a_statement_with_one_missing_and_one_extra_line_yields_exactly_those_two() -> None:
    records = [pay("B1", 100), pay("B2", 200), refund("RF-1", 300, "B3")]
    lines = [credit("B1", 100), debit("B3", 300, "RF-1"), credit("B9", 900)]
    result = reconcile(DAY, lines, records)
    assert kinds(result) == [("extra", "B9"), ("missing", "B2")]
    assert len(result.matched) == 2
    missing, extra = result.of_kind("missing")[0], result.of_kind("extra")[0]
    assert (missing.recorded_amount_fen, missing.statement_amount_fen, missing.record_kind) == (200, None, "payment")
    assert (extra.statement_amount_fen, extra.recorded_amount_fen, extra.record_kind) == (900, None, None)


def test_a_different_amount_is_wrong_amount_not_missing_and_extra() -> None:
    result = reconcile(DAY, [credit("B1", 150)], [pay("B1", 100)])
    (d,) = result.discrepancies
    assert (d.kind, d.statement_amount_fen, d.recorded_amount_fen) == ("wrong_amount", 150, 100)


def test_a_settled_refund_matches_by_end_to_end_id_when_the_bank_reference_was_not_reported() -> None:
    result = reconcile(DAY, [debit("BKX", 500, "RF-7")], [refund("RF-7", 500)])
    assert result.discrepancies == () and result.matched[0].record.end_to_end_id == "RF-7"


def test_a_credit_never_matches_a_debit_record_of_the_same_reference() -> None:
    result = reconcile(DAY, [credit("B1", 100)], [Record("reversal", "B1", 100, "DBIT", DAY)])
    assert kinds(result) == [("extra", "B1"), ("missing", "B1")]


def test_a_record_of_another_day_matches_but_is_never_missing_here() -> None:
    result = reconcile(DAY, [credit("B1", 100)], [pay("B1", 100, "2020-03-19"), pay("B0", 50, "2020-03-19")])
    assert result.discrepancies == () and len(result.matched) == 1


def test_pending_lines_are_not_matched_and_a_line_booked_twice_is_extra_once() -> None:
    lines = [Line("B1", 100, "CRDT", booked=False), credit("B2", 200), credit("B2", 200)]
    result = reconcile(DAY, lines, [pay("B1", 100), pay("B2", 200)])
    assert kinds(result) == [("extra", "B2"), ("missing", "B1")]


def test_a_parked_payment_later_assigned_is_one_record() -> None:
    parked = Record("parked", "B1", 100, "CRDT", DAY)
    result = reconcile(DAY, [credit("B1", 100)], [parked, pay("B1", 100)])
    assert result.discrepancies == () and result.matched[0].record.kind == "payment"


# ---- properties ---------------------------------------------------------------------------------
REFS = st.sampled_from([f"B{i}" for i in range(8)])
DAYS = st.sampled_from([DAY, "2020-03-19"])
RECORDS = st.lists(
    st.one_of(
        st.builds(pay, REFS, st.integers(1, 5), DAYS),
        st.builds(refund, st.sampled_from(["RF-1", "RF-2", "RF-3"]), st.integers(1, 5), st.sampled_from(["", "B6", "B7"]), DAYS),
    ),
    max_size=8,
)
LINES = st.lists(
    st.one_of(
        st.builds(credit, REFS, st.integers(1, 5)),
        st.builds(debit, REFS, st.integers(1, 5), st.sampled_from(["NOTPROVIDED", "RF-1", "RF-2", "RF-3"])),
    ),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(LINES, RECORDS)
def test_every_booked_line_is_matched_extra_or_wrong_amount_and_every_record_of_the_day_is_accounted(
    lines: list[Line], records: list[Record]
) -> None:
    result = reconcile(DAY, lines, records)
    on_lines = result.of_kind("extra") + result.of_kind("wrong_amount")
    assert len(result.matched) + len(on_lines) == len(lines)
    assert sum(m.line.amount_fen for m in result.matched) + sum(d.statement_amount_fen or 0 for d in on_lines) == sum(
        x.amount_fen for x in lines
    )
    unique = {r.identity: r for r in records}
    of_day = [r for r in unique.values() if r.day == DAY]
    taken = {m.record.identity for m in result.matched} | {
        (("refund", d.end_to_end_id or "") if d.record_kind == "refund" else ("ref", d.bank_reference))
        for d in result.of_kind("wrong_amount")
    }
    missing = result.of_kind("missing")
    assert len(missing) == sum(1 for r in of_day if r.identity not in taken)
    assert all(m.line.amount_fen == m.record.amount_fen and m.line.credit_debit == m.record.credit_debit for m in result.matched)


@settings(max_examples=200, deadline=None)
@given(LINES, RECORDS)
def test_a_statement_that_says_exactly_what_was_recorded_has_no_discrepancy(lines: list[Line], records: list[Record]) -> None:
    unique = {r.identity: r for r in records if r.bank_reference or r.kind == "refund"}
    mirrored = [
        Line(
            r.bank_reference or "BANK-" + (r.end_to_end_id or ""), r.amount_fen, r.credit_debit, r.end_to_end_id or "NOTPROVIDED"
        )
        for r in unique.values()
        if r.day == DAY
    ]
    refs = [m.bank_reference for m in mirrored]
    if len(set(refs)) != len(refs):
        return  # two records sharing a reference cannot both be on one statement line
    assert reconcile(DAY, mirrored, unique.values()).discrepancies == ()


# ---- the statement day --------------------------------------------------------------------------
def imported(content: str = "c1") -> StatementImported:
    return StatementImported(
        account="3206000000000001", statement_date=DAY, statement_id="S1", message_id="M1", content_sha256=content,
        file_sha256="f", revision=0, opening_balance_fen=0, closing_balance_fen=100, lines=(), imported_by="officer-a",
    )  # fmt: skip


def test_the_same_statement_again_records_nothing_and_a_correction_supersedes() -> None:
    found = reconcile(DAY, [credit("B9", 900)], [pay("B2", 200)]).discrepancies
    events = record_statement(fold_statement([]), imported(), found)
    assert [type(e).__name__ for e in events] == ["StatementImported", "ReconciliationItemRaised", "ReconciliationItemRaised"]
    assert events[0].revision == 1  # type: ignore[attr-defined]
    state = fold_statement(events)
    assert record_statement(state, imported(), found) == []
    corrected = reconcile(DAY, [credit("B9", 900), credit("B2", 200)], [pay("B2", 200)]).discrepancies
    events2 = record_statement(state, imported("c2"), corrected)
    assert isinstance(events2[0], StatementImported) and (events2[0].revision, events2[0].supersedes) == (2, "c1")
    (closed,) = events2[1:]
    assert isinstance(closed, ReconciliationItemResolved) and closed.resolution == "superseded"
    assert closed.item_id == next(e.item_id for e in events if isinstance(e, ReconciliationItemRaised) and e.kind == "missing")


def test_the_same_statement_matched_again_after_the_record_arrived_closes_the_item_as_rematched() -> None:
    state = fold_statement(record_statement(fold_statement([]), imported(), reconcile(DAY, [credit("B9", 9)], []).discrepancies))
    later = reconcile(DAY, [credit("B9", 9)], [pay("B9", 9)]).discrepancies
    (closed,) = record_statement(state, imported(), later)
    assert isinstance(closed, ReconciliationItemResolved) and closed.resolution == "rematched"


def test_an_officer_resolves_an_item_once_with_a_note() -> None:
    events = record_statement(fold_statement([]), imported(), reconcile(DAY, [credit("B9", 9)], []).discrepancies)
    state = fold_statement(events)
    item_id = events[1].item_id  # type: ignore[attr-defined]
    with pytest.raises(Rejected) as bad:
        resolve_item(state, item_id, by="officer-a", role="tax_officer", note="  ")
    assert bad.value.issues[0].field == "note"
    with pytest.raises(NotFound):
        resolve_item(state, "RI-20200320-0000000000000000", by="officer-a", role="tax_officer", note="x")
    (done,) = resolve_item(state, item_id, by="officer-a", role="tax_officer", note="bank fee booked by hand")
    assert isinstance(done, ReconciliationItemResolved) and (done.resolution, done.by) == ("resolved", "officer-a")
    state.apply(done)
    with pytest.raises(Conflict):
        resolve_item(state, item_id, by="officer-b", role="tax_officer", note="again")
    # the resolved item is not raised again when the same statement is imported again
    assert record_statement(state, imported(), reconcile(DAY, [credit("B9", 9)], []).discrepancies) == []
