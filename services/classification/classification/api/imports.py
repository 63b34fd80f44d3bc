"""Province data import: POST the file to preview its diff, POST it again to apply it (once)."""

from __future__ import annotations

from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from classification.adapters.files import CSV_TYPES, XLSX_TYPE, format_of
from classification.adapters.tables import imports, review_flags
from classification.api.deps import as_problems
from classification.application import imports as importing
from classification.application.access import AUDITOR, INSURANCE_CENTRE, OFFICERS, PROVINCE_OFFICER
from classification.domain import imports as planner
from eventkit.web.auth import Principal, require_roles
from eventkit.web.idempotency import Idempotency, Reply, idempotency
from eventkit.web.problems import Problem

router = APIRouter(tags=["province imports 省级划型数据导入"])
Sha256Path = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="the import id: the file's SHA-256")]
FileName = Annotated[str | None, Query(max_length=200, description="the uploaded file's name, for the record")]
MAX_BYTES = 50 * 1024 * 1024
FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in (*CSV_TYPES[:1], XLSX_TYPE)},
    }
}


class RowIssueOut(BaseModel):
    field: str
    code: str
    reason: str
    reason_zh: str


class RowErrorOut(BaseModel):
    row: int
    credit_code: str | None
    errors: list[RowIssueOut]


class RowOut(BaseModel):
    row: int
    credit_code: str
    name: str
    statistical_year: int
    size: str
    current_size: str | None = Field(description="what is recorded for that statistical year, if anything")
    expected_size: str | None = Field(default=None, description="the class the row's own indicators give, when it differs")


class SummaryOut(BaseModel):
    rows: int
    new: int
    changed: int
    unchanged: int
    errors: int
    flagged: int


class PreviewOut(BaseModel):
    import_id: str = Field(description="the file's SHA-256: applying it records this id")
    already_applied: bool
    summary: SummaryOut
    new: list[RowOut]
    changed: list[RowOut] = Field(description="held on apply: sizes are fixed per statistical year (see README)")
    unchanged: list[RowOut]
    flagged: list[RowOut] = Field(description="new rows whose indicators contradict their size: applied, and flagged")
    errors: list[RowErrorOut]


class ImportOut(BaseModel):
    import_id: str
    already_applied: bool
    file_name: str | None
    file_format: Literal["csv", "xlsx"]
    source_versions: list[str]
    statistical_years: list[int]
    summary: SummaryOut
    applied_by: str


async def _file(request: Request) -> tuple[bytes, str]:
    with as_problems():
        fmt = format_of(request.headers.get("content-type", ""))
    data = await request.body()
    if len(data) > MAX_BYTES:
        raise Problem(413, f"the file is larger than {MAX_BYTES // 1024 // 1024} MiB", slug="payload-too-large")
    return data, fmt


def _row(o: planner.RowOutcome) -> RowOut:
    r = o.row
    return RowOut(
        row=r.row,
        credit_code=r.credit_code,
        name=r.name,
        statistical_year=r.statistical_year,
        size=r.size,
        current_size=o.current_size,
        expected_size=o.expected_size,
    )


def preview_out(p: importing.Preview, already: bool) -> PreviewOut:
    outcomes = p.plan.outcomes
    return PreviewOut(
        import_id=p.sha256,
        already_applied=already,
        summary=SummaryOut(**p.summary().model_dump()),
        new=[_row(o) for o in outcomes if o.status == planner.NEW],
        changed=[_row(o) for o in outcomes if o.status == planner.CHANGED],
        unchanged=[_row(o) for o in outcomes if o.status == planner.UNCHANGED],
        flagged=[_row(o) for o in outcomes if o.flagged],
        errors=[
            RowErrorOut(
                row=e.row,
                credit_code=e.credit_code,
                errors=[RowIssueOut(field=i.field, code=i.code, reason=i.en, reason_zh=i.zh) for i in e.issues],
            )
            for e in p.plan.errors
        ],
    )


@router.post("/v1/size-imports:preview", response_model=PreviewOut, openapi_extra=FILE_BODY)
async def preview_import(
    request: Request,
    _principal: Principal = Depends(require_roles(PROVINCE_OFFICER)),
    idem: Idempotency = Depends(idempotency),
) -> Response:
    """The diff a province file would make (new, changed, unchanged, flagged, rows in error with
    reasons), recording nothing. Body: the file itself, `text/csv` or XLSX."""
    data, fmt = await _file(request)
    store = request.app.state.runtime.store

    async def command(session: AsyncSession) -> Reply:
        with as_problems():
            seen = await importing.preview(session, store, data, fmt)
            already = await store.version(session, importing.import_stream(seen.sha256)) > 0
        return Reply(200, preview_out(seen, already).model_dump(mode="json"))

    return await idem.run(command)


@router.post("/v1/size-imports", status_code=201, response_model=ImportOut, responses={200: {"model": ImportOut}})
async def apply_import(
    request: Request,
    file_name: FileName = None,
    principal: Principal = Depends(require_roles(PROVINCE_OFFICER)),
    idem: Idempotency = Depends(idempotency),
) -> Response:
    """Apply a province file: `EnterpriseSizeAssigned` per new row, held changes and contradicting
    indicators flagged for review. The same file again (by SHA-256) answers 200 with the first
    import and records nothing. Rows in error are skipped (see the preview)."""
    data, fmt = await _file(request)
    store = request.app.state.runtime.store

    async def command(session: AsyncSession) -> Reply:
        with as_problems():
            done, _ = await importing.apply(session, store, data, fmt, file_name=file_name, actor=principal.sub)
        e = done.event
        out = ImportOut(
            import_id=e.import_id,
            already_applied=done.already,
            file_name=e.file_name,
            file_format=e.file_format,  # type: ignore[arg-type]
            source_versions=list(e.source_versions),
            statistical_years=list(e.statistical_years),
            summary=SummaryOut(**e.summary.model_dump()),
            applied_by=e.applied_by,
        )
        return Reply(200 if done.already else 201, out.model_dump(mode="json"), {"Location": f"/v1/size-imports/{e.import_id}"})

    return await idem.run(command)


@router.get("/v1/size-imports/{import_id}", response_model=ImportOut)
async def get_import(
    import_id: Sha256Path,
    request: Request,
    _principal: Principal = Depends(require_roles(PROVINCE_OFFICER, INSURANCE_CENTRE, AUDITOR)),
) -> ImportOut:
    """An applied import (from the read model: it appears once the service has read its event)."""
    async with request.app.state.sessions() as s:
        row = (await s.execute(sa.select(imports).where(imports.c.import_id == import_id))).first()
    if row is None:
        raise Problem(404, f"no import {import_id} (yet)", slug="import-not-found")
    return ImportOut(already_applied=True, **row._mapping)


class ReviewFlagOut(BaseModel):
    credit_code: str
    statistical_year: int
    kind: Literal["indicators_contradict", "size_change_held"]
    imported_size: str
    expected_size: str | None
    industry: str
    indicators: dict[str, object] | None
    import_id: str
    source_version: str
    reason: str
    flagged_at: str


@router.get("/v1/size-reviews", response_model=list[ReviewFlagOut])
async def review_flags_list(
    request: Request,
    kind: Annotated[Literal["indicators_contradict", "size_change_held"] | None, Query()] = None,
    _principal: Principal = Depends(require_roles(*OFFICERS)),
) -> list[ReviewFlagOut]:
    """Imported rows flagged for an officer's review, oldest first."""
    q = sa.select(review_flags).order_by(review_flags.c.flagged_at, review_flags.c.credit_code)
    if kind is not None:
        q = q.where(review_flags.c.kind == kind)
    async with request.app.state.sessions() as s:
        rows = (await s.execute(q)).all()
    return [ReviewFlagOut(**{**r._mapping, "flagged_at": r.flagged_at.isoformat()}) for r in rows]
