"""Policies (政策文件) over REST: read them, and publish or amend one (policy_admin), and watch the
reassessment a publication sets off."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Body, Depends, Request, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.web.auth import Principal, require_roles
from eventkit.web.idempotency import Idempotency, Reply, idempotency
from eventkit.web.problems import FieldError, Problem
from relief_calc.adapters.tables import policies
from relief_calc.application import policies as app
from relief_calc.application.reassessments import Job, jobs
from relief_calc.domain.errors import PolicyDataError
from relief_calc.domain.policy_model import Policy

router = APIRouter(tags=["policies 政策"])
STAFF = ("tax_officer", "hr_officer", "finance_officer", "econ_officer", "policy_admin", "auditor", "admin")
READERS = ("payer", *STAFF)  # policies are public documents
PUBLISHERS = ("policy_admin",)


class PolicyVersionOut(BaseModel):
    policy_id: str
    document_number: str
    title: str
    kind: str
    published: str
    overrides: str | None
    content_hash: str
    periods: dict[str, str | None]


class PolicyListOut(BaseModel):
    items: list[PolicyVersionOut]


class PolicyDetailOut(BaseModel):
    policy_id: str
    versions: list[dict[str, Any]]  # every version's document, oldest first


class PublicationOut(BaseModel):
    policy_id: str
    published: str
    content_hash: str
    appended: bool
    reassessment_job: str | None  # watch it at /v1/reassessments/{job_id} once the event is consumed


class JobOut(BaseModel):
    job_id: str
    policy_id: str
    total: int
    remaining: int
    failed: int
    done: bool


class JobListOut(BaseModel):
    items: list[JobOut]


def _version_out(document: dict[str, Any], digest: str) -> PolicyVersionOut:
    policy = Policy.model_validate(document)
    return PolicyVersionOut(
        policy_id=policy.id,
        document_number=policy.document_number,
        title=policy.title,
        kind=str(policy.kind),
        published=policy.published.isoformat(),
        overrides=policy.overrides,
        content_hash=digest,
        periods={"from": str(policy.periods.first), "to": None if policy.periods.last is None else str(policy.periods.last)},
    )


@router.get("/v1/policies", response_model=PolicyListOut)
async def list_policies(request: Request, _: Principal = Depends(require_roles(*READERS))) -> PolicyListOut:
    """Every version of every policy the service has recorded, by publication date."""
    async with request.app.state.sessions() as session:
        rows = (await session.execute(sa.select(policies).order_by(policies.c.published, policies.c.policy_id))).all()
    return PolicyListOut(items=[_version_out(r.document, r.content_hash) for r in rows])


@router.get("/v1/policies/{policy_id}", response_model=PolicyDetailOut)
async def get_policy(policy_id: str, request: Request, _: Principal = Depends(require_roles(*READERS))) -> PolicyDetailOut:
    async with request.app.state.sessions() as session:
        rows = (
            await session.execute(
                sa.select(policies.c.document).where(policies.c.policy_id == policy_id).order_by(policies.c.published)
            )
        ).all()
    if not rows:
        raise Problem(404, f"no policy {policy_id} (政策不存在)", slug="policy-not-found")
    return PolicyDetailOut(policy_id=policy_id, versions=[r.document for r in rows])


@router.post("/v1/policies", status_code=201, response_model=PublicationOut, responses={200: {"model": PublicationOut}})
async def publish_policy(
    request: Request,
    body: dict[str, Any] = Body(..., description="the policy document, as in policies/*.yaml (see policies/README.md)"),
    principal: Principal = Depends(require_roles(*PUBLISHERS)),
    idem: Idempotency = Depends(idempotency),
) -> Response:
    """Publish a policy, or amend one (a new version of an id, with its own later publication date).
    The same content again changes nothing (200, `appended: false`). A policy that reaches back
    reassesses every declared payer-period it touches: follow `reassessment_job`."""
    try:
        policy = Policy.model_validate(body)
    except ValidationError as error:
        raise Problem(
            422,
            "invalid policy document (政策文件有误)",
            slug="invalid-policy",
            errors=[
                FieldError(".".join(str(p) for p in e["loc"]) or "(body)", e["msg"], f"政策字段有误：{e['msg']}")
                for e in error.errors()
            ],
        ) from None
    store = request.app.state.runtime.store

    async def command(session: AsyncSession) -> Reply:
        try:
            result = await app.publish(session, store, policy, by=principal.sub, source="rest")
        except app.PolicyConflict as exc:
            raise Problem(
                409, f"{exc.en} ({exc.zh})", slug="policy-version-conflict", errors=[FieldError("published", exc.en, exc.zh)]
            ) from None
        except PolicyDataError as exc:
            raise Problem(422, str(exc), slug="invalid-policy-set", errors=[FieldError("(policy)", exc.en, exc.zh)]) from None
        out = PublicationOut(
            policy_id=result.policy_id,
            published=result.published,
            content_hash=result.content_hash,
            appended=result.appended,
            reassessment_job=f"{result.policy_id}@{result.published}" if policy.kind == "relief" else None,
        )
        return Reply(201 if result.appended else 200, out.model_dump(mode="json"), {"Location": f"/v1/policies/{policy.id}"})

    return await idem.run(command)


def _job_out(job: Job) -> JobOut:
    return JobOut(
        job_id=job.job_id, policy_id=job.policy_id, total=job.total, remaining=job.remaining, failed=job.failed, done=job.done
    )


@router.get("/v1/reassessments", response_model=JobListOut)
async def list_jobs(request: Request, _: Principal = Depends(require_roles(*STAFF))) -> JobListOut:
    """Reassessments set off by policy publications, with their progress."""
    async with request.app.state.sessions() as session:
        return JobListOut(items=[_job_out(j) for j in await jobs(session)])


@router.get("/v1/reassessments/{job_id}", response_model=JobOut)
async def get_job(job_id: str, request: Request, _: Principal = Depends(require_roles(*STAFF))) -> JobOut:
    async with request.app.state.sessions() as session:
        found = await jobs(session, job_id)
    if not found:
        raise Problem(404, f"no reassessment {job_id} (yet: the publication may not be consumed)", slug="reassessment-not-found")
    return _job_out(found[0])
