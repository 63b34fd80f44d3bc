"""The payer ledger (分户账): the entries of `ledger-<credit code>` folded into balances per account.

An account is (fee period, insurance, part), and for a construction project insured per project
(工程建设项目按项目参保) also the project's code: its lump-sum premium has an account of its own. For each account the fold keeps six sums, in fen:

* ``due``: what is owed (Σ DueRecorded lines; a reassessment adds the difference, a withdrawal
  subtracts everything);
* ``paid``: payments allocated to it (Σ allocations of PaymentReceived − those of PaymentReversed);
* ``offset_in``: credits applied to it (Σ OffsetApplied to this account);
* ``credited``: overpayment moved out of it into a credit (Σ CreditArisen from this account);
* ``offset_out``: its credits applied to any account (Σ OffsetApplied of credits from here);
* ``refunded``: its credits paid back (Σ settled refunds' draws on credits from here).

and derives

* ``outstanding = due − paid − offset_in + credited``  (still to pay, never negative: an excess is
  always moved out into a credit in the same decision);
* ``credit = credited − offset_out − refunded``        (credit still held, never negative);
* ``balance = due − paid + refunded + offset_out − offset_in = outstanding − credit``: what the
  payer owes on the account (negative: what the payer is owed).

Summed over the payer's accounts, offsets cancel out, so Σ balance = Σ due − money in + money out,
where money in is Σ payments − Σ reversed payments and money out Σ settled refunds: `violations`
checks that against totals the fold keeps independently of the accounts, to the fen.

Money that matches no due is paid to the `unallocated` account (no due, so it becomes a credit at
once). A credit (溢缴款) is a lot with an id, its account of origin, an amount and a settlement
(refund | offset); refunds reserve amounts of lots until settled (then refunded) or released.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field

from eventkit.crypto import Sealed
from eventkit.events import Event
from refund.domain.events import (
    CreditArisen,
    DueRecorded,
    OffsetApplied,
    PaymentReceived,
    PaymentReversed,
    RefundConvertedToOffset,
    RefundInstructed,
    RefundRequested,
    RefundSettled,
    SettlementChosen,
)

INSURANCES = ("pension", "unemployment", "work_injury", "medical", "maternity")
PARTS = ("employer", "individual")
REFUND, OFFSET = "refund", "offset"
SETTLEMENTS = (REFUND, OFFSET)


@dataclass(frozen=True)
class Key:
    """An account of the ledger. Ordered by fee period, then insurance (养老, 失业, 工伤, 医疗, 生育),
    then part (单位 before 个人), a construction project's account after the monthly one of its
    first month; the unallocated account (fee period "") comes first."""

    fee_period: str
    insurance: str
    part: str
    project: str = ""  # a construction project insured per project: its lump-sum premium

    def order(self) -> tuple[str, int, str, int, str, str]:
        ins = INSURANCES.index(self.insurance) if self.insurance in INSURANCES else len(INSURANCES)
        part = PARTS.index(self.part) if self.part in PARTS else len(PARTS)
        return (self.fee_period, ins, self.insurance, part, self.part, self.project)

    @property
    def project_or_none(self) -> str | None:
        return self.project or None


def version_key(fee_period: str, project: str | None) -> str:
    """Which liability stream a due comes from: the fee period's, or the project's."""
    return f"project:{project}" if project else fee_period


UNALLOCATED = Key("", "", "unallocated")


@dataclass
class Balance:
    due: int = 0
    paid: int = 0
    offset_in: int = 0
    credited: int = 0
    offset_out: int = 0
    refunded: int = 0

    @property
    def outstanding(self) -> int:
        return self.due - self.paid - self.offset_in + self.credited

    @property
    def credit(self) -> int:
        return self.credited - self.offset_out - self.refunded

    @property
    def balance(self) -> int:
        return self.due - self.paid + self.refunded + self.offset_out - self.offset_in


@dataclass
class Credit:
    """A credit lot: `open` is what is still held; `available` what no refund has reserved."""

    credit_id: str
    origin: Key
    amount: int
    cause: str
    settlement: str
    offset: int = 0
    refunded: int = 0
    reserved: dict[str, int] = field(default_factory=dict)  # refund id → fen

    @property
    def open(self) -> int:
        return self.amount - self.offset - self.refunded

    @property
    def available(self) -> int:
        return self.open - sum(self.reserved.values())


@dataclass
class Reservation:
    """What a refund holds of the payer's credits, and whether it ever reached the bank."""

    refund_id: str
    draws: dict[str, int]
    instructed: bool = False
    closed: bool = False  # settled or converted: holds nothing any more


@dataclass(frozen=True)
class Payee:
    """The account the payer last paid from (原路退回: where an ex-officio refund goes)."""

    account: Sealed
    account_index: str
    name: str


@dataclass
class Ledger:
    credit_code: str = ""
    version: int = 0
    accounts: dict[Key, Balance] = field(default_factory=dict)
    credits: dict[str, Credit] = field(default_factory=dict)  # in the order they arose
    payments: dict[str, PaymentReceived] = field(default_factory=dict)
    payment_by_reference: dict[str, str] = field(default_factory=dict)
    reversals: dict[str, PaymentReversed] = field(default_factory=dict)  # payment id → its reversal
    liability_versions: dict[str, int] = field(default_factory=dict)  # version_key → source version
    sources: set[str] = field(default_factory=set)
    reservations: dict[str, Reservation] = field(default_factory=dict)
    refund_events: dict[str, list[Event]] = field(default_factory=dict)
    money_in: int = 0
    money_out: int = 0
    payee: Payee | None = None

    def account(self, key: Key) -> Balance:
        if key not in self.accounts:
            self.accounts[key] = Balance()
        return self.accounts[key]

    def copy(self) -> Ledger:
        return copy.deepcopy(self)

    def apply(self, e: Event) -> None:
        self.version += 1
        if isinstance(e, DueRecorded):
            self.credit_code = e.credit_code
            for line in e.lines:
                self.account(Key(e.fee_period, line.insurance, line.part, e.project or "")).due += line.amount_fen
            self.sources.add(e.source_event_id)
            source = version_key(e.fee_period, e.project)
            self.liability_versions[source] = max(e.source_version, self.liability_versions.get(source, 0))
        elif isinstance(e, PaymentReceived):
            self.credit_code = e.credit_code
            for a in e.allocations:
                self.account(Key(a.fee_period, a.insurance, a.part, a.project or "")).paid += a.amount_fen
            self.payments[e.payment_id] = e
            self.payment_by_reference[e.bank_reference] = e.payment_id
            self.money_in += e.amount_fen
            if e.payer_account is not None and e.payer_account_index and e.payer_name:
                self.payee = Payee(e.payer_account, e.payer_account_index, e.payer_name)
        elif isinstance(e, PaymentReversed):
            for a in e.allocations:
                self.account(Key(a.fee_period, a.insurance, a.part, a.project or "")).paid -= a.amount_fen
            self.reversals[e.payment_id] = e
            self.money_in -= e.amount_fen
        elif isinstance(e, CreditArisen):
            origin = Key(e.fee_period, e.insurance, e.part, e.project or "")
            self.account(origin).credited += e.amount_fen
            self.credits[e.credit_id] = Credit(e.credit_id, origin, e.amount_fen, e.cause, e.settlement)
        elif isinstance(e, SettlementChosen):
            self.credits[e.credit_id].settlement = e.settlement
        elif isinstance(e, OffsetApplied):
            lot = self.credits[e.credit_id]
            lot.offset += e.amount_fen
            self.account(lot.origin).offset_out += e.amount_fen
            self.account(Key(e.fee_period, e.insurance, e.part, e.project or "")).offset_in += e.amount_fen
        else:
            self._apply_refund(e)

    def _apply_refund(self, e: Event) -> None:
        refund_id = getattr(e, "refund_id", None)
        if refund_id is None:
            return
        self.refund_events.setdefault(refund_id, []).append(e)
        if isinstance(e, RefundRequested):
            draws = {d.credit_id: d.amount_fen for d in e.draws}
            self.reservations[refund_id] = Reservation(refund_id, draws)
            for credit_id, amount in draws.items():
                self.credits[credit_id].reserved[refund_id] = amount
        elif isinstance(e, RefundInstructed):
            self.reservations[refund_id].instructed = True
        elif isinstance(e, RefundSettled):
            self.money_out += e.amount_fen
            self._release(refund_id, settled=True)
        elif isinstance(e, RefundConvertedToOffset):
            self._release(refund_id, settled=False)

    def _release(self, refund_id: str, *, settled: bool) -> None:
        reservation = self.reservations[refund_id]
        for credit_id, amount in reservation.draws.items():
            lot = self.credits[credit_id]
            del lot.reserved[refund_id]
            if settled:
                lot.refunded += amount
                self.account(lot.origin).refunded += amount
            else:
                lot.settlement = OFFSET
        reservation.closed = True

    # ---- queries ----------------------------------------------------------------------------
    def keys(self) -> list[Key]:
        return sorted(self.accounts, key=Key.order)

    def owed(self) -> list[Key]:
        """Accounts with something outstanding, oldest first."""
        return [k for k in self.keys() if self.accounts[k].outstanding > 0]

    def due_of(self, key: Key) -> int:
        return self.accounts[key].due if key in self.accounts else 0


def fold(events: Iterable[Event]) -> Ledger:
    ledger = Ledger()
    for e in events:
        ledger.apply(e)
    return ledger


# ---- statement (按月分户) -------------------------------------------------------------------------
@dataclass(frozen=True)
class StatementLine:
    fee_period: str
    insurance: str
    part: str
    due_fen: int
    paid_fen: int
    offset_in_fen: int
    credited_fen: int
    offset_out_fen: int
    refunded_fen: int
    outstanding_fen: int
    credit_fen: int
    balance_fen: int
    project: str | None = None  # a construction project's account


def statement(ledger: Ledger, fee_period: str | None = None) -> list[StatementLine]:
    """One line per account, in a stable order (fee period, insurance, part); `fee_period` selects
    one month."""
    lines = []
    for k in ledger.keys():
        if fee_period is not None and k.fee_period != fee_period:
            continue
        b = ledger.accounts[k]
        lines.append(
            StatementLine(
                k.fee_period, k.insurance, k.part, b.due, b.paid, b.offset_in, b.credited, b.offset_out, b.refunded,
                b.outstanding, b.credit, b.balance, k.project_or_none,
            )
        )  # fmt: skip
    return lines


# ---- invariants ---------------------------------------------------------------------------------
def violations(ledger: Ledger) -> list[str]:
    """Every way the ledger fails to balance; empty when it holds to the fen."""
    out: list[str] = []
    for k in ledger.keys():
        b = ledger.accounts[k]
        if b.outstanding < 0:
            out.append(f"{k}: overpaid by {-b.outstanding} fen without a credit")
        if b.credit < 0:
            out.append(f"{k}: negative credit {b.credit}")
        if b.balance != b.outstanding - b.credit:
            out.append(f"{k}: balance {b.balance} != outstanding {b.outstanding} - credit {b.credit}")
        if k != UNALLOCATED and b.due < 0:
            out.append(f"{k}: negative due {b.due}")
    for lot in ledger.credits.values():
        if lot.amount <= 0 or lot.open < 0 or lot.available < 0 or min(lot.reserved.values(), default=0) < 0:
            out.append(f"credit {lot.credit_id}: amount {lot.amount}, open {lot.open}, available {lot.available}")
    by_origin: dict[Key, int] = {}
    for lot in ledger.credits.values():
        by_origin[lot.origin] = by_origin.get(lot.origin, 0) + lot.open
    for k in ledger.keys():
        if ledger.accounts[k].credit != by_origin.get(k, 0):
            out.append(f"{k}: account credit {ledger.accounts[k].credit} != its lots {by_origin.get(k, 0)}")
    total_due = sum(b.due for b in ledger.accounts.values())
    total = sum(b.balance for b in ledger.accounts.values())
    if total != total_due - ledger.money_in + ledger.money_out:
        out.append(f"Σ balance {total} != Σ due {total_due} - money in {ledger.money_in} + money out {ledger.money_out}")
    if sum(b.offset_in for b in ledger.accounts.values()) != sum(b.offset_out for b in ledger.accounts.values()):
        out.append("offsets in and out differ")
    return out


def totals(ledger: Ledger) -> Balance:
    t = Balance()
    for b in ledger.accounts.values():
        t.due += b.due
        t.paid += b.paid
        t.offset_in += b.offset_in
        t.credited += b.credited
        t.offset_out += b.offset_out
        t.refunded += b.refunded
    return t
