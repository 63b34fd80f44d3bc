"""The refund (退费) as an aggregate: its state folded from its events in the payer's ledger
stream, the decisions that move it on, and what the bank adapter must do next. Pure: no I/O.

    requested ──approve (1, or 2 officers above the threshold; never the requester)──▶ approved
    approved ──instruct (end-to-end id = refund id)──▶ instructed ──ACTC/ACCP/ACSP──▶ accepted
    instructed | accepted ──ACSC──▶ settled            instructed | accepted ──RJCT──▶ rejected
    rejected ──retry (corrected account: same refund id and end-to-end id, attempt + 1)──▶ requested
    requested | approved | rejected ──convert──▶ converted (its credits are settled by offset)

A retry changes where the money goes, so it is approved again under the same two-person rule.
Bank statuses are idempotent (the same status twice records nothing); a status that contradicts
what is recorded (ACSC after RJCT, RJCT after ACSC, any status for an older attempt or before an
instruction) is recorded as `RefundStatusFlagged` and never applied; a flagged refund is neither
retried nor converted until an officer has reconciled it with the bank.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from eventkit.crypto import Sealed
from eventkit.events import Event
from refund.domain.allocation import PAYER, SettlementRule, settle
from refund.domain.events import (
    Draw,
    RefundAccepted,
    RefundApproved,
    RefundConvertedToOffset,
    RefundInstructed,
    RefundRejected,
    RefundRequested,
    RefundRetried,
    RefundSettled,
    RefundStatusFlagged,
)
from refund.domain.issues import Conflict, NotFound, reject
from refund.domain.ledger import REFUND, Ledger

REQUESTED, APPROVED, INSTRUCTED, ACCEPTED, REJECTED, SETTLED, CONVERTED = (
    "requested", "approved", "instructed", "accepted", "rejected", "settled", "converted",
)  # fmt: skip
ACCEPTED_CODES = ("ACTC", "ACCP", "ACSP")
STATUS_CODES = (*ACCEPTED_CODES, "ACSC", "RJCT", "PDNG")
_REFUND_ID = re.compile(r"^[A-Za-z0-9-]{1,35}$")  # ISO 20022 EndToEndId: Max35Text, kept to safe characters
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ApprovalPolicy:
    """Above `two_person_above_fen` a refund needs a second approving officer."""

    two_person_above_fen: int = 5_000_000  # 50,000 元

    def required(self, amount_fen: int) -> int:
        return 2 if amount_fen > self.two_person_above_fen else 1


@dataclass(frozen=True)
class Attempt:
    number: int
    account_index: str
    message_id: str | None = None
    payload_sha256: str | None = None


@dataclass(frozen=True)
class RefundState:
    refund_id: str
    credit_code: str
    amount_fen: int
    requested_by: str
    draws: tuple[Draw, ...]
    status: str = REQUESTED
    attempts: tuple[Attempt, ...] = ()
    approvers: tuple[str, ...] = ()  # of the current attempt
    required: int = 1
    ever_instructed: bool = False
    flags: tuple[tuple[int, str, str], ...] = ()  # (attempt, message id, status code)

    @property
    def attempt(self) -> Attempt:
        return self.attempts[-1]

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


def fold_refund(events: Iterable[Event]) -> RefundState | None:
    s: RefundState | None = None
    for e in events:
        if isinstance(e, RefundRequested):
            s = RefundState(
                e.refund_id, e.credit_code, e.amount_fen, e.requested_by, e.draws, attempts=(Attempt(1, e.account_index),)
            )
            continue
        if s is None:
            continue
        if isinstance(e, RefundApproved):
            s = _with(
                s,
                approvers=(*s.approvers, e.approver),
                required=e.required,
                status=APPROVED if e.approvals >= e.required else REQUESTED,
            )
        elif isinstance(e, RefundInstructed):
            a = Attempt(s.attempt.number, s.attempt.account_index, e.message_id, e.payload_sha256)
            s = _with(s, status=INSTRUCTED, attempts=(*s.attempts[:-1], a), ever_instructed=True)
        elif isinstance(e, RefundAccepted):
            s = _with(s, status=ACCEPTED)
        elif isinstance(e, RefundRejected):
            s = _with(s, status=REJECTED)
        elif isinstance(e, RefundSettled):
            s = _with(s, status=SETTLED)
        elif isinstance(e, RefundRetried):
            s = _with(s, status=REQUESTED, attempts=(*s.attempts, Attempt(e.attempt, e.account_index)), approvers=())
        elif isinstance(e, RefundConvertedToOffset):
            s = _with(s, status=CONVERTED)
        elif isinstance(e, RefundStatusFlagged):
            s = _with(s, flags=(*s.flags, (e.attempt, e.message_id, e.status_code)))
    return s


def _with(s: RefundState, **changes: Any) -> RefundState:
    return replace(s, **changes)


def refund_of(ledger: Ledger, refund_id: str) -> RefundState:
    state = fold_refund(ledger.refund_events.get(refund_id, ()))
    if state is None:
        raise NotFound("refund", f"没有退费 {refund_id}", f"no refund {refund_id}")
    return state


@dataclass(frozen=True)
class Payee:
    """Where the current attempt of a refund pays to, and its stored instruction once instructed."""

    account: Sealed
    account_name: str
    bank_name: str
    instructed: RefundInstructed | None


def payee_of(ledger: Ledger, refund_id: str) -> Payee:
    payee: Payee | None = None
    for e in ledger.refund_events.get(refund_id, ()):
        if isinstance(e, RefundRequested | RefundRetried):
            payee = Payee(e.account, e.account_name, e.bank_name, None)
        elif isinstance(e, RefundInstructed) and payee is not None:
            payee = replace(payee, instructed=e)
    if payee is None:
        raise NotFound("refund", f"没有退费 {refund_id}", f"no refund {refund_id}")
    return payee


# ---- decisions ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RefundRequest:
    refund_id: str
    account: Sealed
    account_index: str
    account_name: str
    requested_by: str
    ex_officio: bool = False
    bank_name: str = ""
    credit_ids: tuple[str, ...] | None = None  # None: every credit settled by refund


def request(ledger: Ledger, req: RefundRequest) -> list[Event]:
    if not _REFUND_ID.match(req.refund_id):
        raise reject(
            "refund_id", "refund.id", "退费编号须为 1–35 位字母、数字或连字符", "a refund id is 1-35 letters, digits or hyphens"
        )
    if not req.requested_by:
        raise reject("requested_by", "refund.requester", "须注明申请人", "the requester is required")
    if not req.account_index or not req.account_name:
        field = "account_index" if not req.account_index else "account_name"
        raise reject(field, "refund.account", "须提供收款账户及户名", "the payee account and its name are required")
    if req.refund_id in ledger.refund_events:
        existing = refund_of(ledger, req.refund_id)
        if existing.attempts[0].account_index == req.account_index and existing.requested_by == req.requested_by:
            return []  # the same request again
        raise Conflict(
            "refund.id_reused",
            f"退费编号 {req.refund_id} 已使用",
            f"refund id {req.refund_id} is already used",
            field="refund_id",
        )
    draws = []
    for i, credit_id in enumerate(req.credit_ids if req.credit_ids is not None else list(ledger.credits)):
        lot = ledger.credits.get(credit_id)
        if lot is None:
            raise reject(f"credit_ids[{i}]", "refund.credit", f"没有溢缴款 {credit_id}", f"no credit {credit_id}")
        if lot.settlement != REFUND or lot.available == 0:
            if req.credit_ids is None:
                continue
            raise reject(
                f"credit_ids[{i}]", "refund.credit_unavailable",
                f"溢缴款 {credit_id} 不能退费（结算方式 {lot.settlement}，可用 {lot.available} 分）",
                f"credit {credit_id} cannot be refunded (settled by {lot.settlement}, {lot.available} fen available)",
            )  # fmt: skip
        draws.append(Draw(credit_id=credit_id, amount_fen=lot.available))
    if not draws:
        raise Conflict("refund.nothing", "没有可退的溢缴款", "there is no credit to refund", field="credit_ids")
    return [
        RefundRequested(
            credit_code=ledger.credit_code, refund_id=req.refund_id, amount_fen=sum(d.amount_fen for d in draws), draws=tuple(draws),
            account=req.account, account_index=req.account_index, account_name=req.account_name, bank_name=req.bank_name,
            requested_by=req.requested_by, ex_officio=req.ex_officio,
        )
    ]  # fmt: skip


def approve(ledger: Ledger, refund_id: str, approver: str, policy: ApprovalPolicy) -> list[Event]:
    s = refund_of(ledger, refund_id)
    if not approver:
        raise reject("approver", "refund.approver", "须注明审批人", "the approver is required")
    if approver == s.requested_by:
        raise reject(
            "approver", "refund.own_request", "申请人不能审批自己的退费", "the requester cannot approve their own refund"
        )
    if approver in s.approvers:
        return []  # this officer's approval is recorded; a second approval must come from another officer
    if s.status != REQUESTED:
        raise _state_conflict(s, "approve", "审批")
    required = policy.required(s.amount_fen)
    return [
        RefundApproved(
            credit_code=s.credit_code, refund_id=refund_id, attempt=s.attempt.number, approver=approver,
            approvals=len(s.approvers) + 1, required=required,
        )
    ]  # fmt: skip


def instruct(ledger: Ledger, refund_id: str, message_id: str, payload_sha256: str) -> list[Event]:
    """Record the pain.001 of the current attempt before it is sent (the adapter stores the bytes)."""
    s = refund_of(ledger, refund_id)
    if not message_id:
        raise reject("message_id", "refund.message_id", "须提供报文编号", "the message id is required")
    if not _SHA256.match(payload_sha256):
        raise reject(
            "payload_sha256", "refund.payload_hash", "报文摘要须为 SHA-256 十六进制", "the payload hash is a hex SHA-256"
        )
    current = s.attempt
    if current.message_id is not None:
        if (current.message_id, current.payload_sha256) == (message_id, payload_sha256):
            return []
        raise Conflict(
            "refund.already_instructed",
            f"第 {current.number} 次指令已以报文 {current.message_id} 发出：只能重发原报文，不得以新报文再次指令",
            f"attempt {current.number} was instructed as message {current.message_id}: re-send those bytes, never instruct again",
            field="message_id",
        )
    if any(a.message_id == message_id for a in s.attempts):
        raise Conflict(
            "refund.message_reused",
            "报文编号已用于前一次指令",
            "the message id was used by an earlier attempt",
            field="message_id",
        )
    if s.status != APPROVED:
        raise _state_conflict(s, "instruct", "发出指令")
    return [
        RefundInstructed(
            credit_code=s.credit_code, refund_id=refund_id, end_to_end_id=refund_id, attempt=current.number,
            message_id=message_id, payload_sha256=payload_sha256, amount_fen=s.amount_fen,
        )
    ]  # fmt: skip


@dataclass(frozen=True)
class BankStatus:
    """A pain.002 (or a camt.054 credit confirmation) as the bank adapter parsed it."""

    end_to_end_id: str
    message_id: str  # the original message id the status refers to
    code: str  # ACTC | ACCP | ACSP | ACSC | RJCT | PDNG
    reason_code: str = ""
    reason: str = ""
    bank_reference: str = ""
    amount_fen: int | None = None
    booking_date: str | None = None  # YYYY-MM-DD of a settlement, as the bank reported it


def record_status(ledger: Ledger, refund_id: str, status: BankStatus) -> list[Event]:
    s = refund_of(ledger, refund_id)
    if status.end_to_end_id != refund_id:
        raise reject(
            "end_to_end_id",
            "refund.e2e",
            "端到端编号与退费编号不符",
            f"end-to-end id {status.end_to_end_id} is not refund {refund_id}",
        )
    if status.code not in STATUS_CODES:
        raise reject("code", "refund.status_code", f"未知的银行状态码 {status.code}", f"unknown bank status code {status.code}")
    if status.code == "RJCT" and not status.reason_code:
        raise reject("reason_code", "refund.reason_code", "拒绝须附原因代码", "a rejection needs its reason code")
    attempt = next((a for a in s.attempts if a.message_id == status.message_id), None)
    ids = {"credit_code": s.credit_code, "refund_id": refund_id, "message_id": status.message_id}
    if status.code == "PDNG":
        return []

    def flag(why: str) -> list[Event]:
        number = attempt.number if attempt is not None else 0
        if (number, status.message_id, status.code) in s.flags:
            return []
        return [RefundStatusFlagged(**ids, attempt=number, status_code=status.code, recorded_status=s.status, reason=why)]

    if attempt is None:
        return flag("unknown message id")
    if attempt.number != s.attempt.number:
        return [] if status.code == "RJCT" else flag(f"status for attempt {attempt.number}, current is {s.attempt.number}")
    code, now = status.code, s.status
    if code in ACCEPTED_CODES:
        if now in (ACCEPTED, SETTLED):
            return []
        return (
            [RefundAccepted(**ids, attempt=attempt.number, status_code=code)]
            if now == INSTRUCTED
            else flag(f"{code} while {now}")
        )
    if code == "ACSC":
        if now == SETTLED:
            return []
        if status.amount_fen is not None and status.amount_fen != s.amount_fen:
            return flag(f"settled {status.amount_fen} fen, instructed {s.amount_fen}")
        if now in (INSTRUCTED, ACCEPTED):
            return [
                RefundSettled(
                    **ids, attempt=attempt.number, amount_fen=s.amount_fen, bank_reference=status.bank_reference,
                    booking_date=status.booking_date,
                )
            ]  # fmt: skip
        return flag(f"ACSC while {now}")
    if now == REJECTED:  # RJCT
        return []
    if now in (INSTRUCTED, ACCEPTED):
        return [RefundRejected(**ids, attempt=attempt.number, reason_code=status.reason_code, reason=status.reason)]
    return flag(f"RJCT while {now}")


def retry(
    ledger: Ledger, refund_id: str, account: Sealed, account_index: str, account_name: str, by: str, bank_name: str = ""
) -> list[Event]:
    s = refund_of(ledger, refund_id)
    _not_flagged(s)
    if s.status != REJECTED:
        raise _state_conflict(s, "retry", "重新发起")
    if account_index == s.attempt.account_index:
        raise reject(
            "account",
            "refund.same_account",
            "更正后的账户与被拒绝的账户相同",
            "the corrected account is the one the bank rejected",
        )
    if not by:
        raise reject("by", "refund.by", "须注明经办人", "the officer is required")
    return [
        RefundRetried(
            credit_code=s.credit_code, refund_id=refund_id, attempt=s.attempt.number + 1, account=account,
            account_index=account_index, account_name=account_name, bank_name=bank_name, by=by,
        )
    ]  # fmt: skip


def convert_to_offset(ledger: Ledger, refund_id: str, *, by: str, role: str, rule: SettlementRule) -> list[Event]:
    s = refund_of(ledger, refund_id)
    if s.status == CONVERTED:
        return []
    _not_flagged(s)
    if s.status not in (REQUESTED, APPROVED, REJECTED):
        raise _state_conflict(s, "convert", "转为抵缴")
    if role == PAYER and s.ever_instructed:
        raise Conflict(
            "refund.instructed",
            "退费已向银行发出指令，缴费人不能再改选抵缴",
            "the refund was instructed: a payer can no longer choose offset",
            field="refund_id",
        )
    event = RefundConvertedToOffset(credit_code=s.credit_code, refund_id=refund_id, by=by, role=role, draws=s.draws)
    work = ledger.copy()
    work.apply(event)
    return [event, *settle(work, rule, cause="converted")]


def _not_flagged(s: RefundState) -> None:
    if s.flagged:
        raise Conflict(
            "refund.flagged",
            "银行状态与记录矛盾，须先由经办人与银行核对",
            "a bank status contradicts the record: an officer must reconcile it with the bank first",
            field="refund_id",
        )


def _state_conflict(s: RefundState, action: str, action_zh: str) -> Conflict:
    return Conflict(
        f"refund.cannot_{action}",
        f"退费 {s.refund_id} 处于 {s.status} 状态，不能{action_zh}",
        f"refund {s.refund_id} is {s.status}: cannot {action}",
        field="status",
    )
