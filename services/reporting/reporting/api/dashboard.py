"""JSON for the ops dashboard (the web dashboard is built on these): relief by month and kind,
refunds by status, open disputes by age. Regional scoping as for the reports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request

from eventkit.web.auth import Principal, require_roles
from reporting.api.access import REPORT_READERS, region_scope
from reporting.api.reports import From, Region, To, payer_month_table
from reporting.application import progress
from reporting.application.queries import Filter

router = APIRouter(tags=["dashboard 看板"])
KINDS = (("exempt", "免征"), ("halved", "减半征收"), ("deferred", "缓缴"))


@router.get("/v1/dashboard/relief-by-month")
async def relief_by_month(
    request: Request, region: Region = None, period_from: From = None, period_to: To = None,
    principal: Principal = Depends(require_roles(*REPORT_READERS)),
) -> dict[str, Any]:  # fmt: skip
    """Per fee period and kind (exempt, halved, deferred): the amount (fen) and the payers concerned."""
    table = await payer_month_table(request, principal, Filter(region, period_from, period_to))
    months: dict[str, dict[str, tuple[int, set[str]]]] = {}
    for line in table.rows:
        month = months.setdefault(line["fee_period"], {k: (0, set()) for k, _ in KINDS})
        for kind, _ in KINDS:
            amount = line[f"{kind}_fen"]
            if amount:
                total, who = month[kind]
                month[kind] = (total + amount, who | {line["credit_code"]})
    items = [
        {"fee_period": p, "kind": kind, "kind_name": name, "amount_fen": months[p][kind][0], "payers": len(months[p][kind][1])}
        for p in sorted(months)
        for kind, name in KINDS
    ]
    return {"region": table.meta["region"], "items": items}


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
