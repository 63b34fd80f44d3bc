"""月度申报: declare, self-check, correct, void, decide audits, and read declarations."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from declaration.adapters import liabilities, projections
from declaration.api.deps import as_problems, get_deps
from declaration.api.payers import CreditCodePath
from declaration.api.schemas import (
    AuditDecisionIn,
    CheckIssueOut,
    CheckOut,
    DeclarationIn,
    DeclarationOut,
    DeclarationPageOut,
    DeclarationSummaryOut,
    VoidIn,
)
from declaration.api.views import assessment_out, declaration_out, line_out
from declaration.application import commands
from declaration.application.access import OFFICERS, READERS, WRITERS, ensure_access, ensure_officer_of
from declaration.application.commands import Deps
from declaration.domain import aggregates as agg
from declaration.domain.declaring import DeclarationInput, EmployeeInput, LineInput, compute
from eventkit.web.auth import Principal, require_roles
from eventkit.web.idempotency import Idempotency, Reply, idempotency
from eventkit.web.problems import Problem

router = APIRouter(tags=["declarations 月度申报"])
FeePeriodPath = Annotated[str, Path(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="费款所属期 YYYY-MM")]


def to_input(body: DeclarationIn) -> DeclarationInput:
    return DeclarationInput(
        fee_period=body.fee_period,
        lines=tuple(
            LineInput(
                insurance=line.insurance,
                headcount=line.headcount,
                base_fen=line.base_fen,
                employees=tuple(EmployeeInput(e.id_number, e.name, e.base_fen) for e in line.employees or ()),
            )
            for line in body.lines
        ),
    )


async def _payer_region(session: AsyncSession, deps: Deps, credit_code: str) -> str:
    with as_problems():
        return agg.require_payer(await commands.load_payer(session, deps, credit_code), credit_code).region


async def _view(session: AsyncSession, deps: Deps, credit_code: str, fee_period: str) -> DeclarationOut | None:
    """The declaration as it now stands (from the event store) with the liability relief-calc
    last published for it (from the liabilities projection); None when never declared."""
    state = await commands.load_declaration(session, deps, credit_code, fee_period)
    if state.content is None:
        return None
    return declaration_out(state, await liabilities.liability_of(session, credit_code, fee_period))


async def _reply(session: AsyncSession, deps: Deps, credit_code: str, fee_period: str) -> dict[str, object]:
    out = await _view(session, deps, credit_code, fee_period)
    assert out is not None  # the command just recorded it
    return out.model_dump(mode="json")


@router.post(
    "/v1/payers/{credit_code}/declarations",
    status_code=201,
    response_model=DeclarationOut,
    responses={201: {"model": DeclarationOut}},
)
async def declare(
    credit_code: CreditCodePath,
    body: DeclarationIn,
    principal: Principal = Depends(require_roles(*WRITERS)),
    idem: Idempotency = Depends(idempotency),
    deps: Deps = Depends(get_deps),
) -> Response:
    """Declare a fee period (月度申报), or correct it (更正申报) with `correction`. A second
    declaration of the same period without `correction` is a 409."""

    async def command(session: AsyncSession) -> Reply:
        ensure_access(principal, credit_code, await _payer_region(session, deps, credit_code), write=True)
        with as_problems():
            result = await commands.declare(
                session, deps, credit_code, to_input(body), correction_reason=body.correction.reason if body.correction else None
            )
            out = await _reply(session, deps, credit_code, result.content.fee_period)
        location = f"/v1/payers/{credit_code}/declarations/{result.content.fee_period}"
        return Reply(201, out, {"Location": location})

    return await idem.run(command)


@router.post("/v1/payers/{credit_code}/declarations:check", response_model=CheckOut)
async def self_check(
    credit_code: CreditCodePath,
    body: DeclarationIn,
    request: Request,
    principal: Principal = Depends(require_roles(*WRITERS)),
    deps: Deps = Depends(get_deps),
) -> CheckOut:
    """申报数据校验: the same checks as declaring, and the amounts it would compute; records nothing."""
    async with request.app.state.sessions() as session:
        ensure_access(principal, credit_code, await _payer_region(session, deps, credit_code), write=True)
        with as_problems():
            profile, issues = await commands.self_check(session, deps, credit_code, to_input(body))
    if issues:
        return CheckOut(ok=False, errors=[CheckIssueOut(field=i.field, code=i.code, reason=i.en, reason_zh=i.zh) for i in issues])
    params = deps.catalog.parameters(profile.region, body.fee_period)
    lines = [commands._line(c, deps) for c in compute(profile, to_input(body), params)]
    return CheckOut(
        ok=True,
        errors=[],
        lines=[line_out(x) for x in lines],
        employer_fen=sum(x.employer_fen for x in lines),
        individual_fen=sum(x.individual_fen for x in lines),
    )


@router.get("/v1/payers/{credit_code}/declarations/{fee_period}", response_model=DeclarationOut)
async def get_declaration(
    credit_code: CreditCodePath,
    fee_period: FeePeriodPath,
    request: Request,
    principal: Principal = Depends(require_roles(*READERS)),
    deps: Deps = Depends(get_deps),
) -> DeclarationOut:
    """The declaration of one fee period: its current revision, status and the liability relief-calc
    assessed for it (`assessment`, with the revision it was assessed from)."""
    async with request.app.state.sessions() as session:
        ensure_access(principal, credit_code, await _payer_region(session, deps, credit_code), write=False)
        out = await _view(session, deps, credit_code, fee_period)
    if out is None:
        raise Problem(404, f"no declaration of {credit_code} for {fee_period} (无该期申报)", slug="declaration-not-found")
    return out


@router.get("/v1/payers/{credit_code}/declarations", response_model=DeclarationPageOut)
async def list_declarations(
    credit_code: CreditCodePath,
    request: Request,
    period_from: Annotated[str | None, Query(alias="from", pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")] = None,
    period_to: Annotated[str | None, Query(alias="to", pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")] = None,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    page_token: Annotated[str | None, Query(max_length=100)] = None,
    principal: Principal = Depends(require_roles(*READERS)),
    deps: Deps = Depends(get_deps),
) -> DeclarationPageOut:
    """A payer's declarations by fee period range, oldest first, paginated."""
    after = _decode_token(page_token)
    async with request.app.state.sessions() as session:
        ensure_access(principal, credit_code, await _payer_region(session, deps, credit_code), write=False)
        rows = await projections.declarations_of(session, credit_code, period_from, period_to, after, page_size + 1)
        assessed = await liabilities.liabilities_of(session, credit_code, [r.fee_period for r in rows[:page_size]])
    items = [
        DeclarationSummaryOut(
            declaration_id=r.declaration_id,
            fee_period=r.fee_period,
            revision=r.revision,
            status=r.status,
            employer_fen=r.employer_fen,
            individual_fen=r.individual_fen,
            assessment=assessment_out(r.status, r.revision, assessed.get(r.fee_period)),
        )
        for r in rows[:page_size]
    ]
    more = len(rows) > page_size
    return DeclarationPageOut(items=items, next_page_token=_encode_token(items[-1].fee_period) if more and items else None)


def _encode_token(period: str) -> str:
    return base64.urlsafe_b64encode(period.encode()).decode().rstrip("=")


def _decode_token(token: str | None) -> str | None:
    if not token:
        return None
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    if len(text) != 7 or text[4] != "-" or not (text[:4] + text[5:]).isdigit():
        raise Problem(422, "page_token is not one this service issued", slug="invalid-page-token")
    return text


@router.post("/v1/payers/{credit_code}/declarations/{fee_period}:void", response_model=DeclarationOut)
async def void(
    credit_code: CreditCodePath,
    fee_period: FeePeriodPath,
    body: VoidIn,
    principal: Principal = Depends(require_roles(*WRITERS)),
    idem: Idempotency = Depends(idempotency),
    deps: Deps = Depends(get_deps),
) -> Response:
    """作废申报: void the current revision of a fee period."""

    async def command(session: AsyncSession) -> Reply:
        ensure_access(principal, credit_code, await _payer_region(session, deps, credit_code), write=True)
        with as_problems():
            await commands.void_declaration(session, deps, credit_code, fee_period, body.reason)
        return Reply(200, await _reply(session, deps, credit_code, fee_period))

    return await idem.run(command)


@router.post("/v1/payers/{credit_code}/declarations/{fee_period}/audit-decision", response_model=DeclarationOut)
async def audit_decision(
    credit_code: CreditCodePath,
    fee_period: FeePeriodPath,
    body: AuditDecisionIn,
    principal: Principal = Depends(require_roles(*OFFICERS)),
    idem: Idempotency = Depends(idempotency),
    deps: Deps = Depends(get_deps),
) -> Response:
    """稽核: approve or reject a declaration held because it raised the base inside a relief window."""

    async def command(session: AsyncSession) -> Reply:
        ensure_officer_of(principal, await _payer_region(session, deps, credit_code))
        with as_problems():
            await commands.decide_audit(
                session, deps, credit_code, fee_period, approve=body.decision == "approve", officer=principal.sub, note=body.note
            )
        return Reply(200, await _reply(session, deps, credit_code, fee_period))

    return await idem.run(command)
