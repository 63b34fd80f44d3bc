"""JSON for the ops dashboard (the web dashboard is built on these): relief by month and kind,
refunds by status, open disputes by age. Regional scoping as for the reports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request

from eventkit.web.auth import Principal, require_roles
from reporting.api.access import REPORT_READERS, check_range, region_scope
from reporting.api.reports import From, Region, To
from reporting.application import aggregates, progress
from reporting.application.queries import Filter

router = APIRouter(tags=["dashboard 看板"])
KINDS = (("exempt", "免征"), ("halved", "减半征收"), ("deferred", "缓缴"))


@router.get("/v1/dashboard/relief-by-month")
async def relief_by_month(
    request: Request, region: Region = None, period_from: From = None, period_to: To = None,
    principal: Principal = Depends(require_roles(*REPORT_READERS)),
) -> dict[str, Any]:  # fmt: skip
    """Per fee period and kind (exempt, halved, deferred): the amount (fen) and the payers concerned."""
    check_range(period_from, period_to)
    scope = region_scope(principal, region)
    async with request.app.state.sessions() as session:
        sums = await aggregates.region_months(session, Filter(scope, period_from, period_to))
    months = sorted({r["fee_period"] for r in sums})
    items = [
        {
            "fee_period": p, "kind": kind, "kind_name": name,
            "amount_fen": sum(r[f"{kind}_fen"] for r in sums if r["fee_period"] == p),
            "payers": sum(r[f"{kind}_payers"] for r in sums if r["fee_period"] == p),  # a payer is of one region
        }
        for p in months
        for kind, name in KINDS
    ]  # fmt: skip
    return {"region": scope, "items": items}


@router.get("/v1/dashboard/refunds-by-status")
async def refunds_by_status(
    request: Request, region: Region = None, principal: Principal = Depends(require_roles(*REPORT_READERS))
) -> dict[str, Any]:
    """How many refunds (and how much, fen) are at each step: requested … settled, rejected, converted."""
    scope = region_scope(principal, region)
    async with request.app.state.sessions() as session:
        items = await progress.refunds_by_status(session, scope)
    return {"region": scope, "items": items}


@router.get("/v1/dashboard/disputes-by-age")
async def disputes_by_age(
    request: Request, region: Region = None, principal: Principal = Depends(require_roles(*REPORT_READERS))
) -> dict[str, Any]:
    """Open size disputes by days since filing (0-7, 8-30, 31-60, 61+) and status; closed ones by outcome."""
    scope = region_scope(principal, region)
    async with request.app.state.sessions() as session:
        out = await progress.disputes_by_age(session, scope, datetime.now(UTC))
    return {"region": scope, **out}
