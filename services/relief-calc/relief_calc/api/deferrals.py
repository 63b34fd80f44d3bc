"""缓缴 Deferral applications: a payer applies and may withdraw; the departments of the review flow
record their written opinions, the first review and the decision; officers and auditors list them.

Who acts at which step is the policy's flow (relief_calc.domain.deferral_state.DEPARTMENT_ROLES
maps its departments onto roles): the review routes admit every reviewing role and the domain
refuses a role the current step does not ask for (403). A payer sees only its own applications;
an officer whose token names a region (统筹区) sees and reviews only that region's.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.web.auth import Principal, require_roles
from eventkit.web.idempotency import Idempotency, Reply, idempotency
from eventkit.web.problems import FieldError, Problem
from refdata.periods import FeePeriod
from relief_calc.adapters import deferrals as read_model
from relief_calc.api.deferral_schemas import (
    DecisionIn,
    DeferralApplicationIn,
    DeferralOut,
    DeferralPageOut,
    DeferralSummaryOut,
    FirstReviewIn,
    OpinionIn,
    PeriodText,
    RegionCode,
    StepOut,
    TermsOut,
    WithdrawIn,
    awaiting_out,
    deferral_out,
    step_out,
)
from relief_calc.application import deferrals as commands
from relief_calc.application.deferrals import DeferralDeps
from relief_calc.application.policies import PublishedPolicies
from relief_calc.domain.deferral_events import FlowStep
from relief_calc.domain.deferral_rules import terms
from relief_calc.domain.deferral_state import Actor, ApplicationInput, DeferralError, DeferralState, InvalidDeferral

router = APIRouter(tags=["deferrals 缓缴"])
PAYER = "payer"
REVIEWERS = ("hr_officer", "finance_officer", "tax_officer", "econ_officer")
READERS = (PAYER, *REVIEWERS, "auditor", "admin")
STATUSES = r"^(under_review|approved|rejected|withdrawn)$"
ApplicationId = Annotated[str, Path(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]


def deps_of(app: FastAPI) -> DeferralDeps:
    deps: DeferralDeps | None = getattr(app.state, "deferral_deps", None)
    if deps is None:
        deps = DeferralDeps(store=app.state.runtime.store, policies=PublishedPolicies())
        app.state.deferral_deps = deps
    return deps


def get_deps(request: Request) -> DeferralDeps:
    return deps_of(request.app)


def actor(principal: Principal) -> Actor:
    return Actor(principal.sub, principal.roles, principal.payer)


@contextmanager
def as_problems() -> Iterator[None]:
    """The domain's refusals as RFC 9457 problems naming the field, in Chinese and English."""
    try:
        yield
    except DeferralError as exc:
        issues = exc.issues if isinstance(exc, InvalidDeferral) else ()
        errors = [FieldError(f"body.{i.field}", i.en, i.zh, i.code) for i in issues] or [
            FieldError(exc.field if exc.field == "(state)" else f"body.{exc.field}", exc.en, exc.zh, exc.code)
        ]
        raise Problem(
            exc.status, f"{exc.en} ({exc.zh})", slug=exc.code.replace(".", "-").replace("_", "-"), errors=errors
        ) from None


def may_see(principal: Principal, credit_code: str, region: str) -> bool:
    if principal.has_any(("admin", "auditor")):
        return True
    if principal.has_any(REVIEWERS) and principal.region in (None, region):
        return True
    return PAYER in principal.roles and principal.payer == credit_code


def ensure_sees(principal: Principal, state: DeferralState, *, review: bool = False) -> None:
    a = state.applied
    assert a is not None
    allowed = principal.region in (None, a.region) if review else may_see(principal, a.credit_code, a.region)
    if not allowed:
        raise Problem(403, "not allowed to see this deferral application (无权查看该缓缴申请)", slug="forbidden-payer")


async def _load(session: AsyncSession, deps: DeferralDeps, application_id: str) -> DeferralState:
    with as_problems():
        return await commands.require(session, deps, application_id)


def _reply(state: DeferralState, status: int = 200) -> Reply:
    headers = {"Location": f"/v1/deferrals/{state.applied.application_id}"} if status == 201 and state.applied else {}
    return Reply(status, deferral_out(state).model_dump(mode="json"), headers)


@router.post("/v1/deferrals", status_code=201, response_model=DeferralOut, responses={201: {"model": DeferralOut}})
async def apply(
    body: DeferralApplicationIn,
    principal: Principal = Depends(require_roles(PAYER)),
    idem: Idempotency = Depends(idempotency),
    deps: DeferralDeps = Depends(get_deps),
) -> Response:
    """申请缓缴: the payer applies to defer pension, unemployment and work-injury contributions (as the
    deferral policy in force allows) for consecutive fee periods; review starts at once."""
    if principal.payer != body.credit_code:
        raise Problem(403, "a payer may only apply for itself (只能为本单位申请缓缴)", slug="forbidden-payer")
    inp = ApplicationInput(
        credit_code=body.credit_code,
        region=body.region,
        review_level=body.review_level,
        first_period=body.first_period,
        last_period=body.last_period,
        insurances=tuple(body.insurances),
        reason=body.reason,
        hardship=tuple(body.hardship),
        evidence=body.evidence_items(),
    )

    async def command(session: AsyncSession) -> Reply:
        with as_problems():
            return _reply(await commands.apply(session, deps, actor(principal), inp), 201)

    return await idem.run(command)


@router.get("/v1/deferrals/{application_id}", response_model=DeferralOut)
async def get_deferral(
    application_id: ApplicationId,
    request: Request,
    principal: Principal = Depends(require_roles(*READERS)),
    deps: DeferralDeps = Depends(get_deps),
) -> DeferralOut:
    """One application with every opinion, review and decision, from the event store."""
    async with request.app.state.sessions() as session:
        state = await _load(session, deps, application_id)
    ensure_sees(principal, state)
    return deferral_out(state)


@router.get("/v1/deferrals", response_model=DeferralPageOut)
async def list_deferrals(
    request: Request,
    credit_code: Annotated[str | None, Query(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")] = None,
    status: Annotated[str | None, Query(pattern=STATUSES)] = None,
    step: Annotated[str | None, Query(pattern=r"^[a-z_]{1,32}$")] = None,
    region: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    page_token: Annotated[str | None, Query(max_length=200)] = None,
    principal: Principal = Depends(require_roles(*READERS)),
) -> DeferralPageOut:
    """Applications, oldest first: a payer's own; an officer's by status, step, payer or region."""
    if not principal.has_any((*REVIEWERS, "auditor", "admin")):  # a payer only
        if credit_code not in (None, principal.payer):
            raise Problem(403, "a payer may only list its own applications (仅限本单位)", slug="forbidden-payer")
        credit_code = principal.payer
    elif not principal.has_any(("auditor", "admin")) and principal.region is not None:
        if region not in (None, principal.region):
            raise Problem(403, f"only applications of region {principal.region} (仅限本统筹区)", slug="forbidden-region")
        region = principal.region
    after = _decode(page_token)
    async with request.app.state.sessions() as session:
        rows = await read_model.list_deferrals(
            session, credit_code=credit_code, status=status, step=step, region=region, after=after, limit=page_size + 1
        )
    items = [
        DeferralSummaryOut(
            application_id=r.application_id,
            credit_code=r.credit_code,
            region=r.region,
            review_level=r.review_level,
            status=r.status,
            step=r.step,
            awaiting=awaiting_out(r.awaiting),
            first_period=r.first_period,
            last_period=r.last_period,
            insurances=list(r.insurances),
            applied_at=r.applied_at,
            due_date=r.due_date,
        )
        for r in rows[:page_size]
    ]
    token = _encode(items[-1].applied_at, items[-1].application_id) if len(rows) > page_size and items else None
    return DeferralPageOut(items=items, next_page_token=token)


def _encode(at: datetime, application_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at.astimezone(UTC).isoformat()}|{application_id}".encode()).decode().rstrip("=")


def _decode(token: str | None) -> tuple[datetime, str] | None:
    if not token:
        return None
    try:
        at, application_id = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split("|")
        return datetime.fromisoformat(at), application_id
    except ValueError:
        raise Problem(
            422,
            "page_token is not one this service issued",
            slug="invalid-page-token",
            errors=[FieldError("query.page_token", "unknown token", "无效的分页标记")],
        ) from None


async def _review(
    application_id: str,
    principal: Principal,
    idem: Idempotency,
    deps: DeferralDeps,
    act: Callable[[AsyncSession], Awaitable[DeferralState]],
) -> Response:
    async def command(session: AsyncSession) -> Reply:
        ensure_sees(principal, await _load(session, deps, application_id), review=True)
        with as_problems():
            return _reply(await act(session))

    return await idem.run(command)


@router.post("/v1/deferrals/{application_id}/opinions", response_model=DeferralOut)
async def record_opinion(
    application_id: ApplicationId,
    body: OpinionIn,
    principal: Principal = Depends(require_roles(*REVIEWERS)),
    idem: Idempotency = Depends(idempotency),
    deps: DeferralDeps = Depends(get_deps),
) -> Response:
    """书面意见: a department's written opinion, when the current step asks for it."""
    return await _review(
        application_id,
        principal,
        idem,
        deps,
        lambda s: commands.record_opinion(s, deps, application_id, actor(principal), body.stance, body.opinion, body.department),
    )


@router.post("/v1/deferrals/{application_id}/first-review", response_model=DeferralOut)
async def first_review(
    application_id: ApplicationId,
    body: FirstReviewIn,
    principal: Principal = Depends(require_roles(*REVIEWERS)),
    idem: Idempotency = Depends(idempotency),
    deps: DeferralDeps = Depends(get_deps),
) -> Response:
    """初审 (city flow: the city social-insurance centre): passed moves on to the joint review, failed rejects."""
    passed = body.outcome == "passed"
    return await _review(
        application_id,
        principal,
        idem,
        deps,
        lambda s: commands.first_review(s, deps, application_id, actor(principal), passed, body.opinion, body.department),
    )


@router.post("/v1/deferrals/{application_id}/decision", response_model=DeferralOut)
async def decide(
    application_id: ApplicationId,
    body: DecisionIn,
    principal: Principal = Depends(require_roles(*REVIEWERS)),
    idem: Idempotency = Depends(idempotency),
    deps: DeferralDeps = Depends(get_deps),
) -> Response:
    """审核决定 by the deciding department once every required opinion is recorded. Approval may
    narrow the periods or insurances; it moves their due date and suspends late fees until then."""
    return await _review(
        application_id,
        principal,
        idem,
        deps,
        lambda s: commands.decide(
            s,
            deps,
            application_id,
            actor(principal),
            body.decision == "approve",
            body.opinion,
            first_period=body.first_period,
            last_period=body.last_period,
            insurances=tuple(body.insurances) if body.insurances is not None else None,
        ),
    )


@router.post("/v1/deferrals/{application_id}:withdraw", response_model=DeferralOut)
async def withdraw(
    application_id: ApplicationId,
    body: WithdrawIn,
    principal: Principal = Depends(require_roles(PAYER)),
    idem: Idempotency = Depends(idempotency),
    deps: DeferralDeps = Depends(get_deps),
) -> Response:
    """撤回: the payer withdraws its application before a decision."""

    async def command(session: AsyncSession) -> Reply:
        ensure_sees(principal, await _load(session, deps, application_id))
        with as_problems():
            return _reply(await commands.withdraw(session, deps, application_id, actor(principal), body.reason))

    return await idem.run(command)


@router.get("/v1/deferral-terms", response_model=TermsOut)
async def deferral_terms(
    region: Annotated[RegionCode, Query()],
    fee_period: Annotated[PeriodText, Query()],
    request: Request,
    principal: Principal = Depends(require_roles(*READERS, "policy_admin")),
    deps: DeferralDeps = Depends(get_deps),
) -> TermsOut:
    """The deferral terms in force now for a region and fee period: insurances, months, latest
    period, hardship criteria and both review flows with the roles that act."""
    async with request.app.state.sessions() as session:
        policies = await deps.policies(session)
    resolved = terms(policies, region, FeePeriod.parse(fee_period), deps.clock())
    if resolved is None:
        raise Problem(
            404, f"no deferral policy covers {fee_period} in {region} (无适用的缓缴政策)", slug="deferral-terms-not-found"
        )
    p = resolved.values

    def steps(flow: Any) -> list[StepOut]:
        return [step_out(FlowStep(step=s.step, by=s.by, opinions_from=s.opinions_from)) for s in flow]

    return TermsOut(
        region=region,
        fee_period=fee_period,
        insurances=[str(i) for i in p.insurances],
        max_months=p.max_months,
        latest_period=str(p.latest_period) if p.latest_period is not None else None,
        hardship_criteria=list(p.hardship_criteria),
        county_review=steps(p.county_review),
        city_review=steps(p.city_review),
        policies=[x.id for x in resolved.policies],
    )
