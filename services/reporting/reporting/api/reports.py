"""The accounting reports over REST (JSON) and as downloads (CSV, XLSX) with Chinese headers:

* ``/v1/reports/payer-months``: 按月分户减免核算 (per payer, fee period and insurance);
* ``/v1/reports/relief-linkage``: 免、减、缓联动分析 (per region and fee period, with 环比).

JSON carries the raw values (fen) with the columns (key, Chinese header, kind) and the totals; a
download prints every line and a 合计 row, amounts in 元 with two decimals."""

from __future__ import annotations

import functools
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from eventkit.web.auth import Principal, require_roles
from refdata.periods import FeePeriod
from refdata.regions import RegionCatalog
from reporting.adapters.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, content_disposition, to_csv, to_xlsx
from reporting.api.access import PERIOD, REGION, REPORT_READERS, check_range, region_scope
from reporting.application import aggregates
from reporting.application.queries import Filter, facts, facts_of
from reporting.domain import linkage, payer_months
from reporting.domain.table import Table

router = APIRouter(tags=["reports 报表"])
Region = Annotated[str | None, Query(pattern=REGION, description="统筹区 (6 digits); a tax officer: its own")]
From = Annotated[str | None, Query(alias="from", pattern=PERIOD, description="费款所属期 from (YYYY-MM)")]
To = Annotated[str | None, Query(alias="to", pattern=PERIOD, description="费款所属期 to (YYYY-MM), inclusive")]
CreditCode = Annotated[
    str | None, Query(pattern=r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$", description="统一社会信用代码")
]
Format = Annotated[str, Path(pattern=r"^(csv|xlsx)$", description="csv | xlsx")]


@functools.cache
def region_names() -> dict[str, str]:
    return {r.code: r.name for r in RegionCatalog.default().regions()}


def as_json(table: Table, rows: list[dict[str, Any]], next_offset: int | None = None) -> dict[str, Any]:
    return {
        "title": table.title,
        "columns": [{"key": c.key, "header": c.header, "kind": c.kind} for c in table.columns],
        "filter": dict(table.meta),
        "items": rows,
        "totals": table.totals,
        "next_offset": next_offset,
    }


def download(table: Table, fmt: str) -> Response:
    body, media = (to_csv(table), CSV_MEDIA_TYPE) if fmt == "csv" else (to_xlsx(table), XLSX_MEDIA_TYPE)
    return Response(body, media_type=media, headers={"Content-Disposition": content_disposition(table.title, fmt)})


async def payer_month_table(request: Request, principal: Principal, f: Filter) -> Table:
    check_range(f.period_from, f.period_to)
    f = Filter(region_scope(principal, f.region), f.period_from, f.period_to, f.credit_code)
    async with request.app.state.sessions() as session:
        got = await facts(session, f)
    rows = payer_months.lines(got.liabilities, got.accounts, got.payers, got.deferred)
    if f.region:  # a payer registered elsewhere but assessed here is reported where it is registered
        rows = [r for r in rows if r["region"] == f.region]
    meta = {"region": f.region, "from": f.period_from, "to": f.period_to, "credit_code": f.credit_code}
    return payer_months.table(rows, meta)


@router.get("/v1/reports/payer-months")
async def payer_months_json(
    request: Request, region: Region = None, period_from: From = None, period_to: To = None, credit_code: CreditCode = None,
    offset: int = Query(0, ge=0), limit: int = Query(500, ge=1, le=5000),
    principal: Principal = Depends(require_roles(*REPORT_READERS)),
) -> dict[str, Any]:  # fmt: skip
    """按月分户减免核算: one line per payer, fee period and insurance (amounts in fen), a page at a
    time (`next_offset`); the totals are over every line of the filter."""
    check_range(period_from, period_to)
    f = Filter(region_scope(principal, region), period_from, period_to, credit_code)
    async with request.app.state.sessions() as session:
        keys, more = await aggregates.line_keys(session, f, offset, limit)
        got = await facts_of(session, keys)
        sums = await aggregates.region_months(session, f)
    rows = payer_months.lines(got.liabilities, got.accounts, got.payers, got.deferred)
    meta = {"region": f.region, "from": f.period_from, "to": f.period_to, "credit_code": f.credit_code}
    table = payer_months.table(rows, meta)
    totals = {**dict.fromkeys((c.key for c in payer_months.COLUMNS if c.kind == "yuan"), 0), "credit_code": "合计"}
    for r in sums:
        for k in totals:
            if k != "credit_code":
                totals[k] += r[k]
    return {**as_json(table, rows, offset + limit if more else None), "totals": totals}


@router.get("/v1/reports/payer-months.{fmt}")
async def payer_months_download(
    fmt: Format, request: Request, region: Region = None, period_from: From = None, period_to: To = None,
    credit_code: CreditCode = None, principal: Principal = Depends(require_roles(*REPORT_READERS)),
) -> Response:  # fmt: skip
    """按月分户减免核算 as CSV or XLSX (元, two decimals; a 合计 row last)."""
    return download(await payer_month_table(request, principal, Filter(region, period_from, period_to, credit_code)), fmt)


async def linkage_table(request: Request, principal: Principal, f: Filter) -> Table:
    check_range(f.period_from, f.period_to)
    region = region_scope(principal, f.region)
    previous = str(FeePeriod.parse(f.period_from).prev()) if f.period_from else None  # for 环比 only
    async with request.app.state.sessions() as session:
        sums = await aggregates.region_months(session, Filter(region, previous, f.period_to))
    rows = linkage.finished(sums, region_names())
    rows = [r for r in rows if f.period_from is None or r["fee_period"] >= f.period_from]
    return linkage.table(rows, {"region": region, "from": f.period_from, "to": f.period_to})


@router.get("/v1/reports/relief-linkage")
async def relief_linkage_json(
    request: Request, region: Region = None, period_from: From = None, period_to: To = None,
    principal: Principal = Depends(require_roles(*REPORT_READERS)),
) -> dict[str, Any]:  # fmt: skip
    """免、减、缓联动分析: per region and fee period, revenue against exemption, halving and deferral, with 环比."""
    table = await linkage_table(request, principal, Filter(region, period_from, period_to))
    return as_json(table, [dict(r) for r in table.rows])


@router.get("/v1/reports/relief-linkage.{fmt}")
async def relief_linkage_download(
    fmt: Format, request: Request, region: Region = None, period_from: From = None, period_to: To = None,
    principal: Principal = Depends(require_roles(*REPORT_READERS)),
) -> Response:  # fmt: skip
    """免、减、缓联动分析 as CSV or XLSX."""
    return download(await linkage_table(request, principal, Filter(region, period_from, period_to)), fmt)
