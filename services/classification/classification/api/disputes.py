"""企业划型异议 over REST: file, take in, three opinions, decide, report to the province, correct."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from classification.adapters.tables import dispute_documents, disputes
from classification.api import dispute_schemas as s
from classification.api.deps import as_problems
from classification.application import disputes as commands
from classification.application.access import (
    EVERYONE,
    HR_REVIEWER,
    INSURANCE_CENTRE,
    OFFICERS,
    PAYER,
    PROVINCE_OFFICER,
    REVIEWERS,
    STATS_REVIEWER,
    ensure_own,
)
from classification.domain import disputes as agg
from classification.domain.dispute_events import GroupSplit
from classification.domain.events import PeriodRange
from classification.domain.issues import Issue, Rejected
from eventkit.events import Message
from eventkit.web.auth import Principal, require_roles
from eventkit.web.idempotency import Idempotency, Reply, idempotency
from eventkit.web.problems import FieldError, Problem

router = APIRouter(tags=["disputes 企业划型异议"])
DisputeIdPath = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")]
AGENCY_OF_ROLE = {STATS_REVIEWER: "stats", HR_REVIEWER: "hr", "econ_reviewer": "econ"}


def _role(principal: Principal, *allowed: str) -> str:
    return next(r for r in allowed if r in principal.roles)


def _overdue(due: datetime | None, at: datetime) -> bool:
    return due is not None and (due if due.tzinfo else due.replace(tzinfo=UTC)) < at


def dispute_out(state: agg.DisputeState, messages: list[Message]) -> s.DisputeOut:
    f = state.filed
    assert f is not None
    steps = []
    for m in messages:
        data = m.event.model_dump(mode="json")
        by, role = data.pop("by"), data.pop("role")
        data.pop("dispute_id", None)
        steps.append(s.StepOut(type=m.event.name.split(".", 1)[1], at=m.envelope.time, by=by, role=role, details=data))
    return s.DisputeOut(
        dispute_id=f.dispute_id,
        credit_code=f.credit_code,
        status=state.status or agg.FILED,
        waiting_for=agg.WAITING_FOR.get(state.status or ""),
        due=state.due,
        overdue=_overdue(state.due, datetime.now(UTC)),
        statistical_year=f.statistical_year,
        periods=f.periods.model_dump(),
        current_size=f.current_size,
        claimed_size=f.claimed_size,
        standard_size=f.standard_size,
        decided_size=state.decided.size if state.decided else None,
        documents=[d.model_dump() for d in f.documents],
        group_split=f.group_split.model_dump() if f.group_split else None,
        steps=steps,
    )


async def _view(session: AsyncSession, request: Request, dispute_id: str) -> s.DisputeOut:
    store = request.app.state.runtime.store
    messages = await store.load(session, agg.dispute_stream(dispute_id))
    return dispute_out(agg.fold(m.event for m in messages), messages)


def _attachments(body: s.DisputeIn) -> tuple[commands.Attachment, ...]:
    out = []
    for i, d in enumerate(body.documents):
        try:
            content = base64.b64decode(d.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise Rejected(
                [Issue(f"documents.{i}.content_base64", "document.base64", "附件不是有效的base64", "not valid base64")]
            ) from None
        out.append(commands.Attachment(d.name, d.media_type, content))
    return tuple(out)


@router.post("/v1/disputes", status_code=201, response_model=s.DisputeOut)
async def file_dispute(
    body: s.DisputeIn,
    request: Request,
    principal: Principal = Depends(require_roles(PAYER)),
    idem: Idempotency = Depends(idempotency),
) -> Response:
    """A payer files an objection to its size (划型异议) with its claimed size and written evidence."""
    if principal.payer != body.credit_code:
        raise Problem(403, "a payer files disputes for itself only (仅限本单位)", slug="payer-scope")
    store = request.app.state.runtime.store

    async def command(session: AsyncSession) -> Reply:
        with as_problems():
            e = body.evidence
            filing = commands.Filing(
                credit_code=body.credit_code,
                statistical_year=body.statistical_year,
                claimed_size=body.claimed_size,
                industry=e.industry,
                headcount=e.headcount,
                revenue=e.revenue,
                assets=e.assets,
                reason=body.reason,
                attachments=_attachments(body),
                group_split=GroupSplit(**body.group_split.model_dump()) if body.group_split else None,
            )
            dispute_id = await commands.file_dispute(session, store, filing, by=principal.sub, role=PAYER)
            out = await _view(session, request, dispute_id)
        return Reply(201, out.model_dump(mode="json"), {"Location": f"/v1/disputes/{dispute_id}"})

    return await idem.run(command)


async def _step(request: Request, idem: Idempotency, dispute_id: str, decide: agg.Step) -> Response:
    store = request.app.state.runtime.store

    async def command(session: AsyncSession) -> Reply:
        with as_problems():
            await commands.step(session, store, dispute_id, decide)
            out = await _view(session, request, dispute_id)
        return Reply(200, out.model_dump(mode="json"))

    return await idem.run(command)


@router.post("/v1/disputes/{dispute_id}/intake", response_model=s.DisputeOut)
async def take_in(
    dispute_id: DisputeIdPath,
    body: s.NoteIn,
    request: Request,
    principal: Principal = Depends(require_roles(INSURANCE_CENTRE)),
    idem: Idempotency = Depends(idempotency),
) -> Response:
    """The city social-insurance centre takes the objection in (受理)."""
    return await _step(
        request,
        idem,
        dispute_id,
        lambda st: agg.take_in(st, by=principal.sub, role=INSURANCE_CENTRE, note=body.note, now=commands.now()),
    )


@router.post("/v1/disputes/{dispute_id}/opinions", response_model=s.DisputeOut)
async def record_opinion(
    dispute_id: DisputeIdPath,
    body: s.OpinionIn,
    request: Request,
    principal: Principal = Depends(require_roles(*REVIEWERS)),
    idem: Idempotency = Depends(idempotency),
) -> Response:
    """A written opinion of the statistics bureau, HR or 经信 (the caller's role says which)."""
    role = _role(principal, *REVIEWERS)
    return await _step(
        request,
        idem,
        dispute_id,
        lambda st: agg.record_opinion(
            st,
            agency=AGENCY_OF_ROLE[role],
            finds_size=body.finds_size,
            opinion=body.opinion,
            by=principal.sub,
            role=role,
            now=commands.now(),
        ),
    )


@router.post("/v1/disputes/{dispute_id}/decision", response_model=s.DisputeOut)
async def decide(
    dispute_id: DisputeIdPath,
    body: s.DecisionIn,
    request: Request,
    principal: Principal = Depends(require_roles(STATS_REVIEWER)),
    idem: Idempotency = Depends(idempotency),
) -> Response:
    """The statistics bureau, as lead, upholds or rejects the objection, with reasons."""
    return await _step(
        request,
        idem,
        dispute_id,
        lambda st: agg.decide(
            st,
            upheld=body.outcome == "upheld",
            size=body.size,
            reasons=body.reasons,
            by=principal.sub,
            role=STATS_REVIEWER,
            now=commands.now(),
        ),
    )


@router.post("/v1/disputes/{dispute_id}/province-report", response_model=s.DisputeOut)
async def report(
    dispute_id: DisputeIdPath,
    body: s.ReportIn,
    request: Request,
    principal: Principal = Depends(require_roles(HR_REVIEWER)),
    idem: Idempotency = Depends(idempotency),
) -> Response:
    """HR reports an upheld objection to the province (上报省级)."""
    return await _step(
        request,
        idem,
        dispute_id,
        lambda st: agg.report(
            st, reference=body.reference, note=body.note, by=principal.sub, role=HR_REVIEWER, now=commands.now()
        ),
    )


@router.post("/v1/disputes/{dispute_id}/correction", response_model=s.DisputeOut)
async def correct(
    dispute_id: DisputeIdPath,
    body: s.CorrectionIn,
    request: Request,
    principal: Principal = Depends(require_roles(PROVINCE_OFFICER)),
    idem: Idempotency = Depends(idempotency),
) -> Response:
    """The province's correction of its shared data: `EnterpriseSizeCorrected` for every affected
    fee period (retroactive); relief-calc reassesses them."""
    store = request.app.state.runtime.store
    periods = PeriodRange(**body.periods.model_dump()) if body.periods else None

    async def command(session: AsyncSession) -> Reply:
        with as_problems():
            await commands.correct(
                session,
                store,
                dispute_id,
                size=body.size,
                reference=body.reference,
                periods=periods,
                by=principal.sub,
                role=PROVINCE_OFFICER,
            )
            out = await _view(session, request, dispute_id)
        return Reply(200, out.model_dump(mode="json"))

    return await idem.run(command)


@router.get("/v1/disputes/{dispute_id}", response_model=s.DisputeOut)
async def get_dispute(
    dispute_id: DisputeIdPath, request: Request, principal: Principal = Depends(require_roles(*EVERYONE))
) -> s.DisputeOut:
    """A dispute with every step: who, when, why. A payer follows its own only."""
    async with request.app.state.sessions() as session:
        with as_problems():
            await commands.load(session, request.app.state.runtime.store, dispute_id)
        out = await _view(session, request, dispute_id)
    ensure_own(principal, out.credit_code)
    return out


@router.get("/v1/disputes/{dispute_id}/documents/{sha256}")
async def get_document(
    dispute_id: DisputeIdPath,
    sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")],
    request: Request,
    principal: Principal = Depends(require_roles(*EVERYONE)),
) -> Response:
    """An attached document, as filed (its SHA-256 is its name)."""
    async with request.app.state.sessions() as session:
        out = await get_dispute(dispute_id, request, principal)
        if sha256 not in {d["sha256"] for d in out.documents}:
            raise Problem(404, "no such document on this dispute", slug="document-not-found")
        row = (await session.execute(sa.select(dispute_documents).where(dispute_documents.c.sha256 == sha256))).one()
    return Response(row.content, media_type=row.media_type, headers={"ETag": f'"{sha256}"'})


def _item(r: Any, at: datetime) -> s.DisputeListItemOut:
    filed = r.filed_at if r.filed_at.tzinfo else r.filed_at.replace(tzinfo=UTC)
    return s.DisputeListItemOut(
        **{k: v for k, v in r._mapping.items() if k not in ("group_credit_code", "updated_at")},
        waiting_for=agg.WAITING_FOR.get(r.status),
        age_days=(at - filed).days,
        overdue=_overdue(r.due, at),
    )


@router.get("/v1/disputes", response_model=list[s.DisputeListItemOut])
async def list_disputes(
    request: Request,
    status: Annotated[list[str] | None, Query(description=f"any of {', '.join(agg.STATUSES)}; default: the open ones")] = None,
    credit_code: Annotated[str | None, Query(pattern=s.CREDIT_CODE)] = None,
    overdue: Annotated[bool, Query(description="only those past the deadline of the step they wait for")] = False,
    as_of: Annotated[datetime | None, Query(description="age and deadlines as of this instant (default: now)")] = None,
    principal: Principal = Depends(require_roles(*EVERYONE)),
) -> list[s.DisputeListItemOut]:
    """Disputes by status and age, oldest first (a payer sees its own only); `overdue=true` lists
    those past the deadline of their current step."""
    wanted = status or list(agg.OPEN)
    unknown = [x for x in wanted if x not in agg.STATUSES]
    if unknown:
        raise Problem(
            422, f"unknown status {unknown[0]!r}", errors=[FieldError("query.status", f"one of {', '.join(agg.STATUSES)}")]
        )
    if not principal.has_any(OFFICERS):
        credit_code = principal.payer or "-"
    at = (as_of if as_of is None or as_of.tzinfo else as_of.replace(tzinfo=UTC)) or datetime.now(UTC)
    q = sa.select(disputes).where(disputes.c.status.in_(wanted)).order_by(disputes.c.filed_at, disputes.c.dispute_id)
    if credit_code:
        q = q.where(disputes.c.credit_code == credit_code)
    if overdue:
        q = q.where(disputes.c.due < at)
    async with request.app.state.sessions() as session:
        rows = (await session.execute(q)).all()
    return [_item(r, at) for r in rows]
