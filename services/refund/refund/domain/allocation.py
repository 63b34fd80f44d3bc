"""Decisions on the payer ledger: dues from assessed liabilities, payments and their reversals,
credits, the settlement choice and offsets. Pure: each takes the folded ledger and returns the
events to append (an empty list when the command was already applied), or raises.

Rules:

* **Dues** follow the liability as it now stands: each (insurance, part) records the difference
  between the liability's amount and the due recorded so far; a withdrawn liability records the
  reversal of every recorded due of the period. A source event already applied, or older than the
  last applied version of the period's liability stream, records nothing.
* **Allocation** of a payment: the payer's outstanding dues of the fee period (and insurance)
  named in the remittance first, then every other outstanding due oldest first (fee period, then
  insurance, then part); any excess goes to the unallocated account and becomes a credit.
* **Settling** (`settle`, run after every decision): (1) an account paid beyond its due moves the
  excess into a new credit, whose default settlement comes from the province rule; (2) a credit
  whose own account is owed again (a reassessment up, a reversed payment) is absorbed by it first;
  (3) credits settled by offset pay the outstanding dues, oldest credit first, oldest due first.
  Credits reserved by a refund are never touched.
* **Settlement rule** (税总函〔2020〕33号): credits of fee periods inside the rule's ex-officio window
  (2020-02) default to refund ex officio (依职权退费); others, and money paid that matched no due,
  default to offset. The payer may choose offset until the refund is instructed to the bank.
* **Construction projects** (工程建设项目按项目参保, DOMAIN.md §2.5): a project's premium is due on
  an account of its own (the project's code; fee period its first month, work injury, employer),
  versioned by the project's liability stream. A payment whose remittance names the project pays
  it first; a monthly remittance never takes a project's account first (oldest-first allocation of
  the rest may). A credit on a project's account — its premium reassessed lower after it was paid
  — defaults to refund ex officio: "already-paid premiums are refunded by that amount".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eventkit.crypto import Sealed
from eventkit.events import Event
from refund.domain.events import (
    Allocation,
    CreditArisen,
    Draw,
    DueLine,
    DueRecorded,
    OffsetApplied,
    PaymentReceived,
    PaymentReversed,
    RefundConvertedToOffset,
    RefundRequested,
    Remittance,
    SettlementChosen,
)
from refund.domain.issues import Conflict, NotFound, reject
from refund.domain.ledger import INSURANCES, OFFSET, REFUND, SETTLEMENTS, UNALLOCATED, Key, Ledger, version_key

PAYER, OFFICER, SYSTEM = "payer", "tax_officer", "system"


@dataclass(frozen=True)
class SettlementRule:
    """A province's rule for settling credits (defaults: 税总函〔2020〕33号)."""

    rule_id: str = "税总函〔2020〕33号"
    ex_officio_first: str = "2020-02"
    ex_officio_last: str = "2020-02"
    otherwise: str = OFFSET
    payment_excess: str = OFFSET
    payer_may_choose: tuple[str, ...] = (OFFSET,)
    # credits settled by refund are requested ex officio (依职权退费) to the account the payer last
    # paid from, as soon as they arise; an officer approves before anything reaches the bank
    request_ex_officio: bool = True
    projects: str = REFUND  # a construction project's premium paid beyond its (reassessed) due

    def default_for(self, origin: Key, cause: str) -> str:
        if origin == UNALLOCATED or cause == "payment_excess":
            return self.payment_excess
        if origin.project:
            return self.projects
        if self.ex_officio_first <= origin.fee_period <= self.ex_officio_last:
            return REFUND
        return self.otherwise


@dataclass(frozen=True)
class LiabilityLineNotice:
    insurance: str
    employer_payable_fen: int
    individual_fen: int


@dataclass(frozen=True)
class LiabilityNotice:
    """A relief.Liability* event as this service needs it (the reader maps the event to this)."""

    credit_code: str
    fee_period: str
    kind: str  # assessed | reassessed | withdrawn
    source_event_id: str
    source_version: int
    lines: tuple[LiabilityLineNotice, ...] = ()
    due_date: str | None = None
    project: str | None = None  # a construction project's premium (fee_period: its first month)


@dataclass(frozen=True)
class PaymentNotice:
    credit_code: str
    payment_id: str
    bank_reference: str
    amount_fen: int
    value_date: str
    remittance: Remittance = field(default_factory=Remittance)
    payer_account: Sealed | None = None
    payer_account_index: str | None = None
    payer_name: str | None = None


# ---- dues ---------------------------------------------------------------------------------------
def record_liability(ledger: Ledger, notice: LiabilityNotice, rule: SettlementRule) -> list[Event]:
    _check_payer(ledger, notice.credit_code)
    if notice.kind not in ("assessed", "reassessed", "withdrawn"):
        raise reject("kind", "liability.kind", "未知的核定类型", f"unknown liability kind {notice.kind!r}")
    source = version_key(notice.fee_period, notice.project)
    if notice.source_event_id in ledger.sources or notice.source_version <= ledger.liability_versions.get(source, 0):
        return []
    project = notice.project or ""
    targets: dict[Key, int] = {k: 0 for k in ledger.accounts if k.fee_period == notice.fee_period and k.project == project}
    if notice.kind != "withdrawn":
        for i, line in enumerate(notice.lines):
            if line.insurance not in INSURANCES:
                raise reject(f"lines[{i}].insurance", "liability.insurance", "未知险种", f"unknown insurance {line.insurance!r}")
            for part, amount in (("employer", line.employer_payable_fen), ("individual", line.individual_fen)):
                if amount < 0:
                    raise reject(
                        f"lines[{i}].{part}_fen", "liability.negative", "应缴金额不能为负", "an amount due cannot be negative"
                    )
                key = Key(notice.fee_period, line.insurance, part, project)
                if amount or key in targets:
                    targets[key] = amount
    lines = tuple(
        DueLine(insurance=k.insurance, part=k.part, amount_fen=target - ledger.due_of(k), due_after_fen=target)
        for k, target in sorted(targets.items(), key=lambda kv: kv[0].order())
        if target != ledger.due_of(k)
    )
    if not lines:
        return []
    entry = DueRecorded(
        credit_code=notice.credit_code,
        fee_period=notice.fee_period,
        cause=notice.kind,
        source_event_id=notice.source_event_id,
        source_version=notice.source_version,
        due_date=notice.due_date,
        lines=lines,
        project=notice.project,
    )
    return _then_settle(ledger, [entry], rule, cause=notice.kind)


# ---- payments -----------------------------------------------------------------------------------
def receive_payment(ledger: Ledger, payment: PaymentNotice, rule: SettlementRule) -> list[Event]:
    _check_payer(ledger, payment.credit_code)
    known = ledger.payment_by_reference.get(payment.bank_reference)
    if known is not None:
        if ledger.payments[known].amount_fen == payment.amount_fen:
            return []  # the bank told us twice
        raise Conflict(
            "payment.reference_reused",
            f"银行流水号 {payment.bank_reference} 已登记为另一金额的缴款",
            f"bank reference {payment.bank_reference} is already recorded with another amount",
            field="bank_reference",
        )
    if payment.payment_id in ledger.payments:
        raise Conflict(
            "payment.id_reused", "缴款编号已使用", f"payment id {payment.payment_id} is already used", field="payment_id"
        )
    if payment.amount_fen <= 0:
        raise reject("amount_fen", "payment.amount", "缴款金额必须大于零", "a payment must be more than zero fen")
    entry = PaymentReceived(
        credit_code=payment.credit_code,
        payment_id=payment.payment_id,
        bank_reference=payment.bank_reference,
        amount_fen=payment.amount_fen,
        value_date=payment.value_date,
        remittance=payment.remittance,
        payer_account=payment.payer_account,
        payer_account_index=payment.payer_account_index,
        payer_name=payment.payer_name,
        allocations=allocate(ledger, payment.amount_fen, payment.remittance),
    )
    return _then_settle(ledger, [entry], rule, cause="payment_excess")


def allocate(ledger: Ledger, amount_fen: int, remittance: Remittance) -> tuple[Allocation, ...]:
    """Named fee period (and insurance) first, then oldest first; the excess to unallocated."""
    owed = ledger.owed()

    def named(k: Key) -> bool:
        if remittance.project:
            return k.project == remittance.project
        return not k.project and k.fee_period == remittance.fee_period and remittance.insurance in (None, k.insurance)

    order = [k for k in owed if named(k)] + [k for k in owed if not named(k)]
    left, out = amount_fen, []
    for k in order:
        if left == 0:
            break
        take = min(left, ledger.accounts[k].outstanding)
        out.append(
            Allocation(fee_period=k.fee_period, insurance=k.insurance, part=k.part, amount_fen=take, project=k.project_or_none)
        )
        left -= take
    if left:
        u = UNALLOCATED
        out.append(Allocation(fee_period=u.fee_period, insurance=u.insurance, part=u.part, amount_fen=left))
    return tuple(out)


def reverse_payment(
    ledger: Ledger, credit_code: str, bank_reference: str, reversal_reference: str, reason: str, rule: SettlementRule
) -> list[Event]:
    _check_payer(ledger, credit_code)
    payment_id = ledger.payment_by_reference.get(bank_reference)
    if payment_id is None:
        raise NotFound("payment", f"没有银行流水号为 {bank_reference} 的缴款", f"no payment with bank reference {bank_reference}")
    done = ledger.reversals.get(payment_id)
    if done is not None:
        if done.reversal_reference == reversal_reference:
            return []
        raise Conflict(
            "payment.already_reversed", "该缴款已冲正", f"payment {bank_reference} is already reversed", field="bank_reference"
        )
    paid = ledger.payments[payment_id]
    entry = PaymentReversed(
        credit_code=credit_code,
        payment_id=payment_id,
        bank_reference=bank_reference,
        reversal_reference=reversal_reference,
        amount_fen=paid.amount_fen,
        reason=reason,
        allocations=paid.allocations,
    )
    return _then_settle(ledger, [entry], rule, cause="reversed")


# ---- settlement choice --------------------------------------------------------------------------
def choose_settlement(
    ledger: Ledger, credit_id: str, settlement: str, *, by: str, role: str, rule: SettlementRule
) -> list[Event]:
    if settlement not in SETTLEMENTS:
        raise reject(
            "settlement", "settlement.unknown", "结算方式只能是 refund（退费）或 offset（抵缴）", "settlement is refund or offset"
        )
    lot = ledger.credits.get(credit_id)
    if lot is None:
        raise NotFound("credit", f"没有溢缴款 {credit_id}", f"no credit {credit_id}")
    if role == PAYER and settlement not in rule.payer_may_choose:
        raise reject(
            "settlement", "settlement.not_allowed", f"缴费人不能选择 {settlement}", f"a payer may not choose {settlement}"
        )
    if lot.settlement == settlement:
        return []  # chosen already (a refund holding it is that choice at work)
    if lot.open == 0:
        raise Conflict(
            "settlement.settled", f"溢缴款 {credit_id} 已结清", f"credit {credit_id} is already settled", field="credit_id"
        )
    events: list[Event] = []
    for refund_id in lot.reserved:
        reservation = ledger.reservations[refund_id]
        if reservation.instructed:
            raise Conflict(
                "settlement.too_late",
                f"溢缴款 {credit_id} 已由退费 {refund_id} 占用并已向银行发出指令",
                f"credit {credit_id} is held by refund {refund_id}, already instructed to the bank",
                field="credit_id",
            )
        draws = tuple(Draw(credit_id=c, amount_fen=a) for c, a in reservation.draws.items())
        events.append(RefundConvertedToOffset(credit_code=ledger.credit_code, refund_id=refund_id, by=by, role=role, draws=draws))
    events.append(SettlementChosen(credit_code=ledger.credit_code, credit_id=credit_id, settlement=settlement, by=by, role=role))
    return _then_settle(ledger, events, rule, cause="chosen")


# ---- settling: credits, absorption, offsets -----------------------------------------------------
def settle(ledger: Ledger, rule: SettlementRule, cause: str) -> list[Event]:
    """The entries that bring the ledger back to its rule (see the module's docstring); applies
    them to `ledger`, which must be a working copy."""
    out: list[Event] = []

    def emit(e: Event) -> None:
        ledger.apply(e)
        out.append(e)

    for k in ledger.keys():
        excess = -ledger.accounts[k].outstanding
        if excess > 0:
            credit_id = f"C{len(ledger.credits) + 1:05d}"
            lot_cause = "payment_excess" if k == UNALLOCATED else cause
            emit(
                CreditArisen(
                    credit_code=ledger.credit_code, credit_id=credit_id, fee_period=k.fee_period, insurance=k.insurance,
                    part=k.part, amount_fen=excess, cause=lot_cause, settlement=rule.default_for(k, lot_cause), rule=rule.rule_id,
                    project=k.project_or_none,
                )
            )  # fmt: skip
    for lot in list(ledger.credits.values()):
        need = ledger.accounts[lot.origin].outstanding
        if need > 0 and lot.available > 0:
            emit(_offset(ledger, lot.credit_id, lot.origin, min(need, lot.available), "absorbed"))
    for lot in list(ledger.credits.values()):
        if lot.settlement != OFFSET:
            continue
        for k in ledger.owed():
            if lot.available == 0:
                break
            emit(_offset(ledger, lot.credit_id, k, min(ledger.accounts[k].outstanding, lot.available), "offset"))
    if rule.request_ex_officio:
        request = _ex_officio_request(ledger)
        if request is not None:
            emit(request)
    return out


def ex_officio_refund_id(credit_code: str, position: int) -> str:
    """The id of a refund requested ex officio: the payer and the request's position in its ledger
    stream, so deciding the same thing again gives the same id (at most 35 characters)."""
    return f"RF-{credit_code}-{position}"


def _ex_officio_request(ledger: Ledger) -> RefundRequested | None:
    """Every credit settled by refund and held by no refund, requested back to the payer's account."""
    payee = ledger.payee
    draws = tuple(
        Draw(credit_id=lot.credit_id, amount_fen=lot.available)
        for lot in ledger.credits.values()
        if lot.settlement == REFUND and lot.available > 0
    )
    if payee is None or not draws:
        return None  # no account known: the credit waits for an officer's request
    return RefundRequested(
        credit_code=ledger.credit_code, refund_id=ex_officio_refund_id(ledger.credit_code, ledger.version + 1),
        amount_fen=sum(d.amount_fen for d in draws), draws=draws, account=payee.account, account_index=payee.account_index,
        account_name=payee.name, requested_by=SYSTEM, ex_officio=True,
    )  # fmt: skip


def _offset(ledger: Ledger, credit_id: str, to: Key, amount: int, reason: str) -> OffsetApplied:
    return OffsetApplied(
        credit_code=ledger.credit_code, credit_id=credit_id, fee_period=to.fee_period, insurance=to.insurance, part=to.part,
        amount_fen=amount, reason=reason, project=to.project_or_none,
    )  # fmt: skip


def _then_settle(ledger: Ledger, events: list[Event], rule: SettlementRule, *, cause: str) -> list[Event]:
    work = ledger.copy()
    for e in events:
        work.apply(e)
    return [*events, *settle(work, rule, cause)]


def _check_payer(ledger: Ledger, credit_code: str) -> None:
    if ledger.credit_code and credit_code != ledger.credit_code:
        raise reject(
            "credit_code", "payer.mismatch", f"该分户账属于 {ledger.credit_code}", f"this ledger belongs to {ledger.credit_code}"
        )
