"""Refunds (退费) and the settlement of credits over REST.

Commands decide on the payer's ledger stream (one expected version: fifty concurrent requests for
one credit reserve it once) and take an `Idempotency-Key`. Reads of one payer come from its
stream (exact at once); the officers' list across payers comes from the `refunds` read model.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.crypto import Keyring, Sealed
from eventkit.web.auth import Principal, ensure_payer_scope, require_roles
from eventkit.web.idempotency import Idempotency, Reply, idempotency
from refund.adapters.refunds import counts_by_status, list_refunds
from refund.api.deps import approval_policy, required_keyring, settlement_rule
from refund.api.ledger import STAFF, CreditCode
from refund.api.problems import as_problems
from refund.application.dues import load_ledger
from refund.domain.allocation import OFFICER, PAYER, SettlementRule, choose_settlement
from refund.domain.events import ACCOUNT_CONTEXT, ledger_stream
from refund.domain.ledger import Ledger
from refund.domain.refunds import ApprovalPolicy, RefundRequest, approve, convert_to_offset, fold_refund, refund_of, retry
from refund.domain.refunds import request as request_decision

router = APIRouter(tags=["refunds 退费"])
READERS = ("payer", *STAFF)
RefundId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,35}$", description="退费编号 (also the end-to-end id)")]
CreditId = Annotated[str, Path(pattern=r"^C\d{5,}$", description="溢缴款编号")]


class PayeeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account: str = Field(pattern=r"^[0-9A-Za-z]{1,34}$", description="收款账号 (stored encrypted, shown masked)")
    account_name: str = Field(min_length=1, max_length=140, description="户名")
    bank_name: str = Field(default="", max_length=140, description="开户行")


class RefundIn(PayeeIn):
    credit_ids: list[str] | None = Field(
        default=None, description="the credits to refund; default: every credit settled by refund"
    )


class SettlementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    settlement: Literal["refund", "offset"]


def _payee(body: PayeeIn, ring: Keyring) -> tuple[Sealed, str]:
    return Sealed.seal(body.account, ring, ACCOUNT_CONTEXT), ring.blind_index(body.account, context=ACCOUNT_CONTEXT)


def refund_out(ledger: Ledger, refund_id: str) -> dict[str, Any]:
    s = fold_refund(ledger.refund_events.get(refund_id, ()))
    assert s is not None
    history = [
        {k: v for k, v in e.model_dump(mode="json").items() if k not in ("credit_code", "account", "payload", "draws")}
        | {"type": e.name}
        for e in ledger.refund_events[refund_id]
    ]
    first = ledger.refund_events[refund_id][0]
    return {
        "refund_id": s.refund_id,
        "credit_code": s.credit_code,
        "status": s.status,
        "amount_fen": s.amount_fen,
        "ex_officio": getattr(first, "ex_officio", False),
        "requested_by": s.requested_by,
        "draws": [d.model_dump() for d in s.draws],
        "attempt": s.attempt.number,
        "approvals": list(s.approvers),
        "required_approvals": s.required,
        "flagged": s.flagged,
        "history": history,
    }


async def _decide(session: AsyncSession, request: Request, code: str, decide: Any) -> tuple[Ledger, list[Any]]:
    store = request.app.state.runtime.store
    ledger, version = await load_ledger(session, store, code)
    with as_problems():
        events = decide(ledger)
    await store.append(session, ledger_stream(code), version, events, subject=code)
    work = ledger.copy()
    for e in events:
        work.apply(e)
    return work, events


@router.post("/v1/payers/{credit_code}/refunds", status_code=201)
async def request_refund(
    credit_code: CreditCode,
    body: RefundIn,
    request: Request,
    principal: Principal = Depends(require_roles("tax_officer")),
    idem: Idempotency = Depends(idempotency),
) -> Response:
    """申请退费: a tax officer requests the refund of the payer's credits settled by refund, to the
    account given. An approving officer (not the requester) must approve it, two above the
    two-person threshold, before it reaches the bank."""
    account, index = _payee(body, required_keyring(request))
    refund_id = f"R-{credit_code}-{uuid.uuid4().hex[:12]}"
    req = RefundRequest(
        refund_id=refund_id, account=account, account_index=index, account_name=body.account_name, requested_by=principal.sub,
        bank_name=body.bank_name, credit_ids=tuple(body.credit_ids) if body.credit_ids is not None else None,
    )  # fmt: skip

    async def command(session: AsyncSession) -> Reply:
        ledger, _ = await _decide(session, request, credit_code, lambda led: request_decision(led, req))
        return Reply(201, refund_out(ledger, refund_id), {"Location": f"/v1/payers/{credit_code}/refunds/{refund_id}"})

    return await idem.run(command)


@router.get("/v1/payers/{credit_code}/refunds")
async def payer_refunds(
    credit_code: CreditCode, request: Request, principal: Principal = Depends(require_roles(*READERS))
) -> dict[str, Any]:
    """The payer's refunds, oldest first (a payer: its own only)."""
    ensure_payer_scope(principal, credit_code, officer_roles=STAFF)
    async with request.app.state.sessions() as session:
        ledger, _ = await load_ledger(session, request.app.state.runtime.store, credit_code)
    return {"credit_code": credit_code, "items": [refund_out(ledger, r) for r in ledger.refund_events]}


@router.get("/v1/payers/{credit_code}/refunds/{refund_id}")
async def get_refund(
    credit_code: CreditCode, refund_id: RefundId, request: Request, principal: Principal = Depends(require_roles(*READERS))
) -> dict[str, Any]:
    """One refund with its whole history (approvals, instructions, bank statuses; accounts masked)."""
    ensure_payer_scope(principal, credit_code, officer_roles=STAFF)
    async with request.app.state.sessions() as session:
        ledger, _ = await load_ledger(session, request.app.state.runtime.store, credit_code)
    with as_problems():
        refund_of(ledger, refund_id)
    return refund_out(ledger, refund_id)


async def _refund_command(request: Request, idem: Idempotency, credit_code: str, refund_id: str, decide: Any) -> Response:
    async def command(session: AsyncSession) -> Reply:
        ledger, _ = await _decide(session, request, credit_code, decide)
        return Reply(200, refund_out(ledger, refund_id))

    return await idem.run(command)


@router.post("/v1/payers/{credit_code}/refunds/{refund_id}/approval")
async def approve_refund(
    credit_code: CreditCode,
    refund_id: RefundId,
    request: Request,
    principal: Principal = Depends(require_roles("refund_approver")),
    idem: Idempotency = Depends(idempotency),
    policy: ApprovalPolicy = Depends(approval_policy),
) -> Response:
    """审批: a refund approver approves the refund's current attempt (never their own request; a
    second, different approver above the two-person threshold). Once approved it is instructed to
    the bank by the bank worker."""
    return await _refund_command(
        request, idem, credit_code, refund_id, lambda led: approve(led, refund_id, principal.sub, policy)
    )


@router.post("/v1/payers/{credit_code}/refunds/{refund_id}/retry")
async def retry_refund(
    credit_code: CreditCode,
    refund_id: RefundId,
    body: PayeeIn,
    request: Request,
    principal: Principal = Depends(require_roles("tax_officer")),
    idem: Idempotency = Depends(idempotency),
) -> Response:
    """After the bank rejected it: the same refund (same end-to-end id) to a corrected account, as
    a new attempt that is approved again."""
    account, index = _payee(body, required_keyring(request))
    return await _refund_command(
        request, idem, credit_code, refund_id,
        lambda led: retry(led, refund_id, account, index, body.account_name, principal.sub, body.bank_name),
    )  # fmt: skip


@router.post("/v1/payers/{credit_code}/refunds/{refund_id}/offset")
async def convert_refund(
    credit_code: CreditCode,
    refund_id: RefundId,
    request: Request,
    principal: Principal = Depends(require_roles("payer", "tax_officer")),
    idem: Idempotency = Depends(idempotency),
    rule: SettlementRule = Depends(settlement_rule),
) -> Response:
    """转为抵缴: the refund's credits are settled by offset instead (a payer: before the refund was
    instructed to the bank; an officer: also after the bank rejected it)."""
    ensure_payer_scope(principal, credit_code, officer_roles=("tax_officer",))
    role = OFFICER if "tax_officer" in principal.roles else PAYER
    return await _refund_command(
        request,
        idem,
        credit_code,
        refund_id,
        lambda led: convert_to_offset(led, refund_id, by=principal.sub, role=role, rule=rule),
    )


@router.post("/v1/payers/{credit_code}/credits/{credit_id}/settlement")
async def choose(
    credit_code: CreditCode,
    credit_id: CreditId,
    body: SettlementIn,
    request: Request,
    principal: Principal = Depends(require_roles("payer", "tax_officer")),
    idem: Idempotency = Depends(idempotency),
    rule: SettlementRule = Depends(settlement_rule),
) -> Response:
    """结算方式: settle a credit by refund or by offset. A payer may choose offset until the refund
    holding the credit is instructed to the bank; offsets then pay the payer's dues, oldest first."""
    ensure_payer_scope(principal, credit_code, officer_roles=("tax_officer",))
    role = OFFICER if "tax_officer" in principal.roles else PAYER

    async def command(session: AsyncSession) -> Reply:
        ledger, events = await _decide(
            session, request, credit_code,
            lambda led: choose_settlement(led, credit_id, body.settlement, by=principal.sub, role=role, rule=rule),
        )  # fmt: skip
        lot = ledger.credits[credit_id]
        return Reply(
            200,
            {
                "credit_id": credit_id, "settlement": lot.settlement, "open_fen": lot.open,
                "events": [e.name for e in events],
            },
        )  # fmt: skip

    return await idem.run(command)


@router.get("/v1/refunds")
async def all_refunds(
    request: Request,
    status: str | None = Query(None, pattern=r"^(requested|approved|instructed|accepted|rejected|settled|converted)$"),
    credit_code: str | None = Query(None),
    offset: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=1000),
    _: Principal = Depends(require_roles(*STAFF)),
) -> dict[str, Any]:
    """Refunds across payers, from the read model (seconds behind at most), with counts by status."""
    async with request.app.state.sessions() as session:
        rows = await list_refunds(session, status=status, credit_code=credit_code, offset=offset, limit=limit)
        counts = await counts_by_status(session)
    return {
        "counts": counts,
        "items": [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r._mapping.items()} for r in rows],
        "next_offset": offset + limit if len(rows) == limit else None,
    }
