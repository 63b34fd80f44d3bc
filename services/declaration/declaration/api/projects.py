"""工程建设项目按项目参保: a general contractor declares (or corrects) a construction project insured
per project, with its lump-sum work-injury premium; readers get it back. relief-calc assesses its
relief from `declaration.ProjectDeclared` / `ProjectCorrected` on declaration.events."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from declaration.adapters import projections
from declaration.api.declarations import _payer_region
from declaration.api.deps import as_problems, get_deps
from declaration.api.payers import CreditCodePath
from declaration.api.schemas import CorrectionIn
from declaration.application import projects as commands
from declaration.application.access import READERS, WRITERS, ensure_access
from declaration.application.commands import Deps
from declaration.domain.events import ProjectContent
from declaration.domain.projects import MAX_PLANNED_MONTHS, MAX_PRICE_FEN, ProjectInput
from eventkit.web.auth import Principal, require_roles
from eventkit.web.idempotency import Idempotency, Reply, idempotency
from eventkit.web.problems import Problem

router = APIRouter(tags=["projects 工程建设项目"])
PROJECT_CODE = r"^[0-9A-Z][0-9A-Z-]{2,29}$"
ProjectCodePath = Annotated[str, Path(pattern=PROJECT_CODE, description="项目编号 (3–30: digits, capitals, hyphens)")]


class ProjectIn(BaseModel):
    """Give the premium as `contract_price_fen` and `rate_per_mille` (premium = price × rate ÷ 1000,
    half-up to the fen once), or as `premium_fen`; with all three, `premium_fen` must match."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    project_code: str = Field(pattern=PROJECT_CODE, description="项目编号, unique per general contractor")
    name: str = Field(min_length=1, max_length=200, description="项目名称")
    started: date = Field(description="开工日期")
    planned_months: int = Field(ge=1, le=MAX_PLANNED_MONTHS, description="计划工期, in months")
    contract_price_fen: int | None = Field(default=None, ge=1, le=MAX_PRICE_FEN, description="合同价款 in fen")
    rate_per_mille: str | None = Field(default=None, pattern=r"^[0-9]{1,3}(\.[0-9]{1,4})?$", description="费率 ‰, e.g. 1.5")
    premium_fen: int | None = Field(default=None, ge=1, le=MAX_PRICE_FEN, description="工伤保险费 in fen")
    correction: CorrectionIn | None = Field(default=None, description="更正: a new revision of a declared project")


class ProjectOut(BaseModel):
    project_id: str
    project_code: str
    credit_code: str
    name: str
    region: str
    started: date
    planned_months: int
    contract_price_fen: int | None
    rate_per_mille: str | None
    premium_fen: int
    revision: int


class ProjectSummaryOut(BaseModel):
    project_code: str
    name: str
    started: date
    planned_months: int
    premium_fen: int
    revision: int


class ProjectListOut(BaseModel):
    credit_code: str
    items: list[ProjectSummaryOut]


def _out(p: ProjectContent) -> dict[str, object]:
    fields = p.model_dump(exclude={"unit_type"})
    return ProjectOut.model_validate(fields).model_dump(mode="json")


@router.post(
    "/v1/payers/{credit_code}/projects", status_code=201, response_model=ProjectOut, responses={200: {"model": ProjectOut}}
)
async def declare_project(
    credit_code: CreditCodePath,
    body: ProjectIn,
    principal: Principal = Depends(require_roles(*WRITERS)),
    idem: Idempotency = Depends(idempotency),
    deps: Deps = Depends(get_deps),
) -> Response:
    """Declare a construction project insured per project (201, `declaration.ProjectDeclared`), or
    correct it with `correction` (200, `declaration.ProjectCorrected`; nothing when unchanged).
    Roles: payer (its own credit code), tax_officer (its region), admin."""

    async def command(session: AsyncSession) -> Reply:
        ensure_access(principal, credit_code, await _payer_region(session, deps, credit_code), write=True)
        p = ProjectInput(
            project_code=body.project_code, name=body.name, started=body.started, planned_months=body.planned_months,
            contract_price_fen=body.contract_price_fen, rate_per_mille=body.rate_per_mille, premium_fen=body.premium_fen,
        )  # fmt: skip
        with as_problems():
            project, _ = await commands.declare_project(
                session, deps, credit_code, p, correction_reason=body.correction.reason if body.correction else None
            )
        location = f"/v1/payers/{credit_code}/projects/{project.project_code}"
        return Reply(200 if body.correction else 201, _out(project), {"Location": location})

    return await idem.run(command)


@router.get("/v1/payers/{credit_code}/projects/{project_code}", response_model=ProjectOut)
async def get_project(
    credit_code: CreditCodePath,
    project_code: ProjectCodePath,
    request: Request,
    principal: Principal = Depends(require_roles(*READERS)),
    deps: Deps = Depends(get_deps),
) -> dict[str, object]:
    """The project's current revision. Roles: payer (own), tax_officer (region), auditor, admin."""
    async with request.app.state.sessions() as session:
        ensure_access(principal, credit_code, await _payer_region(session, deps, credit_code), write=False)
        state = await commands.load_project(session, deps, credit_code, project_code)
    if state.project is None:
        raise Problem(404, f"no project {project_code} of {credit_code} (无此工程项目)", slug="project-not-found")
    return _out(state.project)


@router.get("/v1/payers/{credit_code}/projects", response_model=ProjectListOut)
async def list_projects(
    credit_code: CreditCodePath,
    request: Request,
    principal: Principal = Depends(require_roles(*READERS)),
    deps: Deps = Depends(get_deps),
) -> ProjectListOut:
    """The contractor's projects, by start date (a read model: it may trail the log by moments).
    Roles: payer (own), tax_officer (region), auditor, admin."""
    async with request.app.state.sessions() as session:
        ensure_access(principal, credit_code, await _payer_region(session, deps, credit_code), write=False)
        rows = await projections.projects_of(session, credit_code)
    items = [
        ProjectSummaryOut(
            project_code=r.project_code,
            name=r.name,
            started=date.fromisoformat(r.started),
            planned_months=r.planned_months,
            premium_fen=r.premium_fen,
            revision=r.revision,
        )  # fmt: skip
        for r in rows
    ]
    return ProjectListOut(credit_code=credit_code, items=items)
