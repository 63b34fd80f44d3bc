"""批量申报: bulk intake of up to 10,000 declarations (CSV or JSON lines), with a status resource."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from declaration.adapters.tables import kernel
from declaration.api.deps import deps_of, get_deps
from declaration.application import uploads as intake
from declaration.application.access import ADMIN, AUDITOR, PAYER, TAX_OFFICER, WRITERS, may_access
from declaration.application.commands import Deps
from declaration.domain import bulk
from declaration.domain.issues import Issue
from eventkit.web.auth import Principal, require_roles
from eventkit.web.idempotency import Idempotency, Reply, idempotency
from eventkit.web.problems import FieldError, Problem

log = logging.getLogger(__name__)
router = APIRouter(tags=["uploads 批量申报"])
UploadIdPath = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")]


class UploadAcceptedOut(BaseModel):
    upload_id: str
    rows: int
    status_url: str


class UploadStatusOut(BaseModel):
    upload_id: str
    state: Literal["processing", "completed"]
    rows: int
    processed: int
    accepted: int
    rejected: int
    sha256: str


class RowErrorOut(BaseModel):
    field: str
    code: str
    reason: str
    reason_zh: str


class UploadRowOut(BaseModel):
    row: int
    status: Literal["accepted", "rejected"]
    credit_code: str | None
    declaration_id: str | None
    revision: int | None
    errors: list[RowErrorOut]


class UploadRowsOut(BaseModel):
    items: list[UploadRowOut]
    next_after_row: int | None


def authorizer(scope: intake.Scope) -> intake.Authorize:
    principal = Principal(sub=scope.sub, roles=frozenset(scope.roles), payer=scope.payer, region=scope.region)

    def may(credit_code: str, region: str | None) -> Issue | None:
        if may_access(principal, credit_code, region, write=True):
            return None
        return Issue(
            "credit_code", "row.forbidden", "无权为该参保单位申报", f"this upload may not declare for payer {credit_code}"
        )

    return may


class UploadWorker:
    """Applies uploads in the background: new ones as they arrive, unfinished ones at start-up."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        for upload_id in await self._unfinished():
            self.queue.put_nowait(upload_id)
        while True:
            upload_id = await self.queue.get()
            try:
                await intake.process(self.app.state.sessions, deps_of(self.app), upload_id, authorizer)
            except Exception:  # keep the worker alive; the upload resumes at its next row on restart
                log.exception("upload %s failed; it will resume at the next start", upload_id)

    async def _unfinished(self) -> list[str]:
        t = kernel.events
        async with self.app.state.sessions() as s:
            received = set(
                (
                    await s.execute(sa.select(t.c.stream_id).where(t.c.event_type == "declaration.DeclarationUploadReceived"))
                ).scalars()
            )
            completed = set(
                (
                    await s.execute(sa.select(t.c.stream_id).where(t.c.event_type == "declaration.DeclarationUploadCompleted"))
                ).scalars()
            )
        return sorted(s.removeprefix("upload-") for s in received - completed)


@asynccontextmanager
async def upload_worker(app: FastAPI) -> AsyncIterator[None]:
    worker = UploadWorker(app)
    app.state.upload_worker = worker
    worker.task = asyncio.create_task(worker.run(), name="declaration-uploads")
    try:
        yield
    finally:
        worker.task.cancel()
        try:
            await worker.task
        except (asyncio.CancelledError, Exception):
            pass


@router.post(
    "/v1/declaration-uploads",
    status_code=202,
    response_model=UploadAcceptedOut,
    responses={202: {"model": UploadAcceptedOut}},
    openapi_extra={
        "parameters": [
            {"name": "Idempotency-Key", "in": "header", "required": True, "schema": {"type": "string", "maxLength": 200}}
        ],
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        },
    },
)
async def upload(
    request: Request,
    principal: Principal = Depends(require_roles(*WRITERS)),
    idem: Idempotency = Depends(idempotency),
    deps: Deps = Depends(get_deps),
) -> Response:
    """Upload up to 10,000 declarations (CSV or JSON lines). Requires an Idempotency-Key: the same
    key and file give the same upload, never a second one. Each row gets its own result."""
    if idem.key is None:
        raise Problem(
            428,
            "bulk uploads need an Idempotency-Key header (批量申报须提供幂等键)",
            slug="idempotency-key-required",
            errors=[FieldError("header.Idempotency-Key", "required for uploads", "批量申报须提供幂等键")],
        )
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = bulk.FORMATS.get(media)
    if fmt is None:
        raise Problem(415, f"send text/csv or application/x-ndjson, not {media or 'nothing'}", slug="unsupported-media-type")
    content = await request.body()
    upload_id = str(uuid.uuid4())
    scope = intake.Scope(principal.sub, tuple(sorted(principal.roles)), principal.payer, principal.region)

    async def command(session: AsyncSession) -> Reply:
        try:
            rows = await intake.receive(session, deps, upload_id, fmt, content, scope)
        except bulk.FileRejected as exc:
            raise Problem(
                422,
                f"{exc.en} ({exc.zh})",
                slug="upload-rejected",
                errors=[FieldError("(body)", exc.en, exc.zh, "upload.invalid")],
            ) from None
        url = f"/v1/declaration-uploads/{upload_id}"
        return Reply(202, {"upload_id": upload_id, "rows": rows, "status_url": url}, {"Location": url})

    response = await idem.run(command)
    if response.status_code == 202 and response.headers.get("idempotent-replayed") != "true":
        request.app.state.upload_worker.queue.put_nowait(upload_id)
    return response


async def _upload_events(request: Request, upload_id: str, principal: Principal, *types: str) -> list[sa.Row[tuple[object, ...]]]:
    """The upload's own stream, read straight from the event store: its status is exact at once,
    not as of a projection catching up."""
    t = kernel.events
    q = sa.select(t.c.event_type, t.c.data).where(t.c.stream_id == intake.upload_stream(upload_id))
    if types:
        q = q.where(t.c.event_type.in_(("declaration.DeclarationUploadReceived", *types)))
    async with request.app.state.sessions() as s:
        rows = list((await s.execute(q.order_by(t.c.stream_version))).all())
    if not rows:
        raise Problem(404, f"no upload {upload_id}", slug="upload-not-found")
    if rows[0].data["submitted_by"] != principal.sub and not principal.has_any((ADMIN, AUDITOR)):
        raise Problem(403, "only the uploader, an admin or an auditor may see an upload", slug="forbidden-upload")
    return rows


@router.get("/v1/declaration-uploads/{upload_id}", response_model=UploadStatusOut)
async def upload_status(
    upload_id: UploadIdPath, request: Request, principal: Principal = Depends(require_roles(PAYER, TAX_OFFICER, AUDITOR, ADMIN))
) -> UploadStatusOut:
    """Progress of an upload: rows processed, accepted and rejected so far."""
    t = kernel.events
    received = (await _upload_events(request, upload_id, principal, "-"))[0].data
    async with request.app.state.sessions() as s:
        counts = dict(
            (
                await s.execute(
                    sa.select(t.c.event_type, sa.func.count())
                    .where(t.c.stream_id == intake.upload_stream(upload_id))
                    .group_by(t.c.event_type)
                )
            ).all()
        )
    accepted = int(counts.get("declaration.DeclarationUploadRowAccepted", 0))
    rejected = int(counts.get("declaration.DeclarationUploadRowRejected", 0))
    return UploadStatusOut(
        upload_id=upload_id,
        state="completed" if counts.get("declaration.DeclarationUploadCompleted") else "processing",
        rows=received["rows"],
        processed=accepted + rejected,
        accepted=accepted,
        rejected=rejected,
        sha256=received["sha256"],
    )


@router.get("/v1/declaration-uploads/{upload_id}/rows", response_model=UploadRowsOut)
async def upload_row_results(
    upload_id: UploadIdPath,
    request: Request,
    status: Annotated[Literal["accepted", "rejected"] | None, Query()] = None,
    after_row: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    principal: Principal = Depends(require_roles(PAYER, TAX_OFFICER, AUDITOR, ADMIN)),
) -> UploadRowsOut:
    """Each row's result: the declaration it made, or every reason it was refused."""
    wanted = {
        "accepted": ("declaration.DeclarationUploadRowAccepted",),
        "rejected": ("declaration.DeclarationUploadRowRejected",),
    }
    types = wanted[status] if status else (*wanted["accepted"], *wanted["rejected"])
    results = [r.data for r in (await _upload_events(request, upload_id, principal, *types))[1:]]
    results = sorted((d for d in results if d["row"] > after_row), key=lambda d: d["row"])
    items = [
        UploadRowOut(
            row=d["row"],
            status="accepted" if "declaration_id" in d else "rejected",
            credit_code=d["declaration_id"][:18] if "declaration_id" in d else d.get("credit_code"),
            declaration_id=d.get("declaration_id"),
            revision=d.get("revision"),
            errors=[RowErrorOut(**e) for e in d.get("errors", ())],
        )
        for d in results[:limit]
    ]
    return UploadRowsOut(items=items, next_after_row=items[-1].row if len(results) > limit else None)
