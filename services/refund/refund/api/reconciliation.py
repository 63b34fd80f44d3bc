"""Reconciliation (对账) over REST: import the bank's daily statement (camt.053), list the
mismatches for officers, resolve them, and the daily report."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.web.auth import Principal, require_roles
from eventkit.web.idempotency import Idempotency, idempotency
from eventkit.web.problems import FieldError, Problem
from iso20022 import camt053
from iso20022.camt053 import Statement
from refund.adapters.reconciliation import daily_report, list_items
from refund.api.deps import keyring as _keyring
from refund.api.messages import parse_message
from refund.api.problems import as_problems
from refund.application.reconciliation import import_statement, resolve

router = APIRouter(tags=["reconciliation 对账"])
IMPORTERS = RESOLVERS = ("tax_officer",)
READERS = ("tax_officer", "auditor")
DAY = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
MAX_BODY = 20 * 1024 * 1024
ItemId = Annotated[str, Path(pattern=r"^RI-\d{8}-[0-9a-f]{16}$", description="reconciliation item id")]
_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/xml": {"schema": {"type": "string", "description": "camt.053.001.08 document"}},
            "application/json": {"schema": {"type": "object", "description": "the statement's JSON form (iso20022 Statement)"}},
        },
    }
}


def parse_statement(body: bytes, content_type: str) -> Statement:
    if not body:
        raise Problem(422, "the statement is empty", slug="invalid-statement", errors=[FieldError("body", "empty body")])
    if len(body) > MAX_BODY:
        raise Problem(413, f"a statement is at most {MAX_BODY} bytes")
    return parse_message(
        body, content_type, xml=camt053.parse, json=Statement.from_json, what="a camt.053 statement", what_zh="对账单有误",
        slug="invalid-statement", whole="body",
    )  # fmt: skip


@router.post("/v1/reconciliation/statements", openapi_extra=_BODY_DOC)
async def import_(
    request: Request, principal: Principal = Depends(require_roles(*IMPORTERS)), idem: Idempotency = Depends(idempotency)
) -> Response:
    """Import the bank's statement of one day (camt.053 XML, or its JSON form with `Content-Type:
    application/json`) and match it against the payments, reversals and settled refunds recorded
    here. Mismatches become reconciliation items (`missing`, `extra`, `wrong_amount`). The same
    statement again records nothing (`recorded: false`); a corrected statement of the same day is
    a new revision, and the items it no longer has are closed (`superseded`)."""
    body = await request.body()
    stmt = parse_statement(body, request.headers.get("content-type", ""))
    runtime, keyring = request.app.state.runtime, _keyring(request)

    async def command(session: AsyncSession) -> tuple[int, Any]:
        with as_problems():
            outcome = await import_statement(session, runtime.store, keyring, stmt, body, principal.sub)
        return (201 if outcome.recorded else 200), outcome.__dict__

    return await idem.run(command)


@router.get("/v1/reconciliation/items")
async def items(
    request: Request,
    status: Literal["open", "resolved"] | None = Query(None),
    day: str | None = Query(None, pattern=DAY, description="the statement day, YYYY-MM-DD"),
    kind: Literal["missing", "extra", "wrong_amount"] | None = Query(None),
    offset: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=1000),
    _: Principal = Depends(require_roles(*READERS)),
) -> dict[str, Any]:
    """Reconciliation items, oldest statement day first (read model: follows the log within moments)."""
    async with request.app.state.sessions() as session:
        page, total = await list_items(session, status=status, day=day, kind=kind, offset=offset, limit=limit)
    return {"items": page, "total": total, "next_offset": offset + limit if offset + limit < total else None}


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=1000, description="how it was resolved (处理说明)")


@router.post("/v1/reconciliation/items/{item_id}/resolve")
async def resolve_item(
    item_id: ItemId,
    body: ResolveIn,
    request: Request,
    principal: Principal = Depends(require_roles(*RESOLVERS)),
    idem: Idempotency = Depends(idempotency),
) -> Response:
    """An officer closes an open item with a note; once only (a second resolution is a 409)."""
    store = request.app.state.runtime.store

    async def command(session: AsyncSession) -> tuple[int, Any]:
        with as_problems():
            return 200, await resolve(session, store, item_id, by=principal.sub, role="tax_officer", note=body.note)

    return await idem.run(command)


@router.get("/v1/reconciliation/reports/{day}")
async def report(
    request: Request,
    day: Annotated[str, Path(pattern=DAY, description="the statement day, YYYY-MM-DD")],
    _: Principal = Depends(require_roles(*READERS)),
) -> dict[str, Any]:
    """The day's reconciliation per account: opening and closing balance, booked lines, and the
    count and sum (fen) of matched, missing, extra and wrong-amount lines."""
    async with request.app.state.sessions() as session:
        out = await daily_report(session, day)
    if out is None:
        raise Problem(404, f"no statement imported for {day}", slug="statement-not-found")
    return out
