"""The payer and the per-period declaration as aggregates: state folded from their streams, and
decisions that turn a command into events (or refuse it). Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from declaration.domain.events import (
    AuditReason,
    DeclarationAuditApproved,
    DeclarationAuditRejected,
    DeclarationAuditRequired,
    DeclarationContent,
    DeclarationCorrected,
    DeclarationSubmitted,
    DeclarationVoided,
    PayerProfile,
    PayerRegistered,
    PayerSplit,
    PayerUpdated,
)
from declaration.domain.issues import Conflict, NotFound
from eventkit.events import Event


def payer_stream(credit_code: str) -> str:
    return f"payer-{credit_code}"


def declaration_stream(credit_code: str, fee_period: str) -> str:
    return f"declaration-{credit_code}-{fee_period}"


def declaration_id(credit_code: str, fee_period: str) -> str:
    return f"{credit_code}-{fee_period}"


# ---- payer --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PayerState:
    version: int = 0
    profile: PayerProfile | None = None
    successors: tuple[str, ...] = ()


def fold_payer(events: Iterable[Event]) -> PayerState:
    state = PayerState()
    for e in events:
        if isinstance(e, PayerRegistered | PayerUpdated):
            state = PayerState(state.version + 1, e.profile, state.successors)
        elif isinstance(e, PayerSplit):
            state = PayerState(state.version + 1, state.profile, (*state.successors, e.successor))
        else:
            state = PayerState(state.version + 1, state.profile, state.successors)
    return state


def register(state: PayerState, profile: PayerProfile) -> list[Event]:
    if state.profile is not None:
        raise Conflict(
            "payer.exists", f"参保单位 {profile.credit_code} 已登记", f"payer {profile.credit_code} is already registered"
        )
    return [PayerRegistered(profile=profile)]


def update(state: PayerState, profile: PayerProfile) -> list[Event]:
    current = require_payer(state, profile.credit_code)
    # the blind indexes follow the values they index: what changed is the value, not its index
    changed = tuple(
        sorted(k for k, v in profile.model_dump().items() if current.model_dump()[k] != v and not k.endswith("_index"))
    )
    if not changed:
        return []
    return [PayerUpdated(profile=profile, changed=changed)]


def split_from(predecessor: PayerState, predecessor_code: str, successor: str, effective_period: str) -> list[Event]:
    require_payer(predecessor, predecessor_code)
    if successor in predecessor.successors:
        return []
    return [PayerSplit(credit_code=predecessor_code, successor=successor, effective_period=effective_period)]


def require_payer(state: PayerState, credit_code: str) -> PayerProfile:
    if state.profile is None:
        raise NotFound("payer", f"参保单位 {credit_code} 未登记", f"payer {credit_code} is not registered")
    return state.profile


# ---- declaration of one payer and fee period ----------------------------------------------------
NONE, SUBMITTED, HELD, REJECTED, VOIDED = "none", "submitted", "held_for_audit", "audit_rejected", "voided"


@dataclass(frozen=True)
class DeclarationState:
    version: int = 0
    status: str = NONE
    revision: int = 0
    content: DeclarationContent | None = None


def fold_declaration(events: Iterable[Event]) -> DeclarationState:
    s = DeclarationState()
    for e in events:
        v = s.version + 1
        if isinstance(e, DeclarationSubmitted | DeclarationCorrected):
            d = e.declaration
            s = DeclarationState(v, HELD if d.audit_hold else SUBMITTED, d.revision, d)
        elif isinstance(e, DeclarationVoided):
            s = DeclarationState(v, VOIDED, s.revision, s.content)
        elif isinstance(e, DeclarationAuditApproved):
            s = DeclarationState(v, SUBMITTED, s.revision, s.content)
        elif isinstance(e, DeclarationAuditRejected):
            s = DeclarationState(v, REJECTED, s.revision, s.content)
        else:
            s = DeclarationState(v, s.status, s.revision, s.content)
    return s


def submit(state: DeclarationState, content: DeclarationContent, audit: list[AuditReason]) -> list[Event]:
    """A first declaration for the period, or a new one after a void."""
    if state.status in (SUBMITTED, HELD, REJECTED):
        raise Conflict(
            "declaration.exists",
            f"{content.fee_period} 已申报（第 {state.revision} 版），如需修改请提交更正申报",
            f"{content.fee_period} is already declared (revision {state.revision}); send a correction to change it",
        )
    return [DeclarationSubmitted(declaration=content), *_audit_events(content, audit)]


def correct(state: DeclarationState, content: DeclarationContent, audit: list[AuditReason], reason: str) -> list[Event]:
    """更正申报: a new revision replacing the current one."""
    if state.status in (NONE, VOIDED) or state.content is None:
        raise Conflict(
            "declaration.nothing_to_correct",
            f"{content.fee_period} 没有可更正的申报",
            f"{content.fee_period} has no declaration to correct",
        )
    previous = state.content
    return [
        DeclarationCorrected(
            declaration=content,
            previous_revision=previous.revision,
            previous_employer_fen=previous.employer_fen,
            previous_individual_fen=previous.individual_fen,
            reason=reason,
        ),
        *_audit_events(content, audit),
    ]


def void(state: DeclarationState, credit_code: str, fee_period: str, reason: str) -> list[Event]:
    if state.status in (NONE, VOIDED):
        raise Conflict(
            "declaration.nothing_to_void", f"{fee_period} 没有可作废的申报", f"{fee_period} has no declaration to void"
        )
    return [
        DeclarationVoided(
            declaration_id=declaration_id(credit_code, fee_period),
            credit_code=credit_code,
            fee_period=fee_period,
            revision=state.revision,
            reason=reason,
        )
    ]


def decide_audit(
    state: DeclarationState, credit_code: str, fee_period: str, *, approve: bool, officer: str, note: str
) -> list[Event]:
    if state.status != HELD:
        raise Conflict(
            "declaration.not_held",
            f"{fee_period} 的申报不在待稽核状态",
            f"the declaration for {fee_period} is not held for audit",
        )
    ids = {
        "declaration_id": declaration_id(credit_code, fee_period),
        "credit_code": credit_code,
        "fee_period": fee_period,
        "revision": state.revision,
        "officer": officer,
    }
    if approve:
        return [DeclarationAuditApproved(**ids, note=note)]
    return [DeclarationAuditRejected(**ids, reason=note)]


def _audit_events(content: DeclarationContent, audit: list[AuditReason]) -> list[Event]:
    if not content.audit_hold:
        return []
    return [
        DeclarationAuditRequired(
            declaration_id=content.declaration_id,
            credit_code=content.credit_code,
            fee_period=content.fee_period,
            revision=content.revision,
            reasons=tuple(audit),
        )
    ]
