"""Resolving a parked payment (stream `parked-<bank reference>`). Pure: no I/O.

A parked payment is money the bank notified that no ledger took (see application/payments.py).
An officer either **assigns** it to a payer — the money goes on that payer's ledger as a normal
payment (`allocation.receive_payment`, payment id `P-<bank reference>` like every payment from a
bank notification, so the same assignment cannot record it twice) — or **returns** it (the money
is to be sent back; only recorded for now). Only money received (a credit, not a reversal) can be
resolved so, and only once: a second resolution is a conflict.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from eventkit.events import Event
from refund.domain.allocation import PaymentNotice
from refund.domain.events import PaymentParked, Remittance
from refund.domain.issues import Conflict, NotFound, reject
from refund.domain.parked_events import ASSIGNED, RETURNED, PaymentParkedResolved

OPEN, RESOLVED = "open", "resolved"
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
INSURANCES = ("pension", "unemployment", "work_injury", "medical", "maternity")
NOTE_MAX = 1000


@dataclass(frozen=True)
class ParkedState:
    parked: PaymentParked
    resolution: PaymentParkedResolved | None = None

    @property
    def status(self) -> str:
        return OPEN if self.resolution is None else RESOLVED


def fold_parked(events: Iterable[Event]) -> ParkedState | None:
    state: ParkedState | None = None
    for e in events:
        if isinstance(e, PaymentParked):
            state = ParkedState(e)
        elif isinstance(e, PaymentParkedResolved) and state is not None:
            state = ParkedState(state.parked, e)
    return state


def parked_stream(bank_reference: str) -> str:
    return f"parked-{bank_reference}"


def payment_id_of(bank_reference: str) -> str:
    return f"P-{bank_reference}"


@dataclass(frozen=True)
class Assignment:
    credit_code: str
    note: str
    by: str
    role: str
    fee_period: str | None = None
    insurance: str | None = None


def assign(state: ParkedState | None, a: Assignment) -> tuple[PaymentParkedResolved, PaymentNotice]:
    """The resolution to record and the payment to put on the payer's ledger."""
    p = _open_credit(state, "assign", "分配")
    if a.fee_period is not None and not _PERIOD.match(a.fee_period):
        raise reject("fee_period", "parked.fee_period", "费款所属期格式为 YYYY-MM", "a fee period is YYYY-MM")
    if a.insurance is not None and a.insurance not in INSURANCES:
        raise reject("insurance", "parked.insurance", "未知险种", f"unknown insurance {a.insurance!r}")
    _check_note(a.note)
    payment_id = payment_id_of(p.bank_reference)
    resolved = PaymentParkedResolved(
        bank_reference=p.bank_reference, resolution=ASSIGNED, credit_code=a.credit_code, payment_id=payment_id,
        fee_period=a.fee_period, insurance=a.insurance, amount_fen=p.amount_fen, note=a.note.strip(), by=a.by, role=a.role,
    )  # fmt: skip
    notice = PaymentNotice(
        credit_code=a.credit_code,
        payment_id=payment_id,
        bank_reference=p.bank_reference,
        amount_fen=p.amount_fen,
        value_date=p.value_date,
        remittance=Remittance(fee_period=a.fee_period, insurance=a.insurance, text=p.remittance_text or ""),
        payer_account=p.debtor_account,
    )
    return resolved, notice


def send_back(state: ParkedState | None, *, note: str, by: str, role: str) -> PaymentParkedResolved:
    p = _open_credit(state, "return", "退回")
    _check_note(note)
    return PaymentParkedResolved(
        bank_reference=p.bank_reference, resolution=RETURNED, amount_fen=p.amount_fen, note=note.strip(), by=by, role=role,
        credit_code=p.credit_code,
    )  # fmt: skip


def _open_credit(state: ParkedState | None, action: str, action_zh: str) -> PaymentParked:
    if state is None:
        raise NotFound("parked_payment", "没有该挂账款项", "no parked payment with this bank reference")
    if state.resolution is not None:
        r = state.resolution
        raise Conflict(
            "parked.already_resolved",
            f"该挂账款项已处理（{r.resolution}，{r.by}）",
            f"this parked payment is already resolved ({r.resolution} by {r.by})",
            field="bank_reference",
        )
    p = state.parked
    if p.credit_debit != "CRDT" or p.reversal:
        raise Conflict(
            "parked.not_a_credit",
            f"只有收到的款项可以{action_zh}（此为冲正或付款）",
            f"only money received can be {action}ed (this is a reversal or a debit)",
            field="bank_reference",
        )
    return p


def _check_note(note: str) -> None:
    if not note.strip():
        raise reject("note", "parked.note", "须说明处理依据", "a note saying why is required")
    if len(note) > NOTE_MAX:
        raise reject("note", "parked.note_length", f"说明不超过 {NOTE_MAX} 字", f"a note has at most {NOTE_MAX} characters")
