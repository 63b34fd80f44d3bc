"""Matching a bank statement (camt.053) against what the refund service recorded. Pure: no I/O.

What the service records as moving money on the bureau's account, each a `Record`:

* `payment` — a `PaymentReceived` (money in), by the bank's reference; its day is the value date;
* `parked` — a `PaymentParked` (money the bank notified that no ledger took; still on the
  account), by the bank's reference and its value date; once an officer assigns it to a payer it
  becomes that payer's `payment` (same reference);
* `reversal` — a `PaymentReversed` (money out), by the reversal's bank reference; its day is the
  day it was recorded (China time);
* `refund` — a `RefundSettled` (money out), by its end-to-end id (= the refund id) and, when the
  bank reported one, its bank reference; its day is its booking date, else the day it was
  recorded (China time).

Rules of `reconcile(day, lines, records)`:

1. Only booked lines (`BOOK`) are matched; pending ones are the bank's, not yet the day's.
2. Each booked line, in statement order, takes the first unused record of the same direction
   (credit/debit) with the line's bank reference (one with the line's end-to-end id too, if
   there is one); failing that, a debit line takes an unused
   `refund` record with the line's end-to-end id. None → `extra`. A match whose amounts differ
   → `wrong_amount`; else the line is matched.
3. Every record of `day` that no line took → `missing`. A record of another day that a line took
   is matched (the bank booked it on another day than we dated it); records of other days that
   no line took are not this statement's business.
4. A line's reference seen twice takes one record: the second line is `extra` (booked twice).

So `len(matched) + |extra| + |wrong_amount| = booked lines`, and every record of the day is
either matched, `wrong_amount` or `missing` — the property tests check both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from refund.domain.reconciliation_events import EXTRA, MISSING, WRONG_AMOUNT

PAYMENT, PARKED, REVERSAL, REFUND = "payment", "parked", "reversal", "refund"
CREDIT, DEBIT = "CRDT", "DBIT"
NO_E2E = "NOTPROVIDED"


@dataclass(frozen=True)
class Line:
    """A statement line as matching needs it."""

    bank_reference: str
    amount_fen: int
    credit_debit: str
    end_to_end_id: str = NO_E2E
    booked: bool = True


@dataclass(frozen=True)
class Record:
    """Money movement recorded by this service (see the module docstring for the kinds)."""

    kind: str
    bank_reference: str  # "" when unknown (a refund the bank settled without telling its reference)
    amount_fen: int
    credit_debit: str
    day: str  # YYYY-MM-DD
    end_to_end_id: str | None = None
    credit_code: str | None = None

    @property
    def identity(self) -> tuple[str, str]:
        return (REFUND, self.end_to_end_id or "") if self.kind == REFUND else ("ref", self.bank_reference)


@dataclass(frozen=True)
class Discrepancy:
    kind: str  # missing | extra | wrong_amount
    bank_reference: str
    credit_debit: str
    statement_amount_fen: int | None
    recorded_amount_fen: int | None
    end_to_end_id: str | None = None
    record_kind: str | None = None
    credit_code: str | None = None

    def item_id(self, account: str, day: str) -> str:
        """Stable across imports: the same mismatch on the same statement day is the same item."""
        key = "|".join(
            str(x)
            for x in (account, day, self.kind, self.credit_debit, self.bank_reference, self.end_to_end_id,
                      self.statement_amount_fen, self.recorded_amount_fen)
        )  # fmt: skip
        return f"RI-{day.replace('-', '')}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


@dataclass(frozen=True)
class Match:
    line: Line
    record: Record


@dataclass(frozen=True)
class Result:
    matched: tuple[Match, ...]
    discrepancies: tuple[Discrepancy, ...]

    def of_kind(self, kind: str) -> list[Discrepancy]:
        return [d for d in self.discrepancies if d.kind == kind]


def reconcile(day: str, lines: Sequence[Line], records: Iterable[Record]) -> Result:
    pool = _unique(records)
    by_reference: dict[tuple[str, str], list[Record]] = {}
    by_e2e: dict[str, list[Record]] = {}
    for r in pool:
        if r.bank_reference:
            by_reference.setdefault((r.credit_debit, r.bank_reference), []).append(r)
        if r.kind == REFUND and r.end_to_end_id:
            by_e2e.setdefault(r.end_to_end_id, []).append(r)
    used: set[tuple[str, str]] = set()
    matched: list[Match] = []
    found: list[Discrepancy] = []
    for line in (x for x in lines if x.booked):
        same_reference = by_reference.get((line.credit_debit, line.bank_reference), [])
        same_both = [r for r in same_reference if r.end_to_end_id == line.end_to_end_id]
        record = _first_unused(same_both, used) or _first_unused(same_reference, used)
        if record is None and line.credit_debit == DEBIT and line.end_to_end_id not in ("", NO_E2E):
            record = _first_unused(by_e2e.get(line.end_to_end_id, []), used)
        if record is None:
            found.append(
                Discrepancy(EXTRA, line.bank_reference, line.credit_debit, line.amount_fen, None, _e2e(line.end_to_end_id))
            )
            continue
        used.add(record.identity)
        if record.amount_fen != line.amount_fen:
            found.append(_about(record, WRONG_AMOUNT, line.amount_fen, bank_reference=line.bank_reference))
        else:
            matched.append(Match(line, record))
    for r in pool:
        if r.day == day and r.identity not in used:
            found.append(_about(r, MISSING, None, bank_reference=r.bank_reference))
    return Result(tuple(matched), tuple(found))


def _unique(records: Iterable[Record]) -> list[Record]:
    """One record per identity (the last wins: a parked payment later assigned is a payment)."""
    out: dict[tuple[str, str], Record] = {}
    for r in records:
        out[r.identity] = r
    return sorted(out.values(), key=lambda r: (r.day, r.credit_debit, r.bank_reference, r.end_to_end_id or ""))


def _first_unused(candidates: list[Record], used: set[tuple[str, str]]) -> Record | None:
    return next((r for r in candidates if r.identity not in used), None)


def _e2e(value: str | None) -> str | None:
    return None if value in (None, "", NO_E2E) else value


def _about(r: Record, kind: str, statement_fen: int | None, *, bank_reference: str) -> Discrepancy:
    return Discrepancy(
        kind=kind,
        bank_reference=bank_reference,
        credit_debit=r.credit_debit,
        statement_amount_fen=statement_fen,
        recorded_amount_fen=r.amount_fen,
        end_to_end_id=_e2e(r.end_to_end_id),
        record_kind=r.kind,
        credit_code=r.credit_code,
    )
