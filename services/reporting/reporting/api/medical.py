"""职工医保阶段性减征医保费统计表 of one city and month (JSON, CSV, XLSX), and the fund figures the
city's medical-security officer enters for it (a command: `reporting.MedicalFundFiguresRecorded`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.commands import retrying
from eventkit.web.auth import Principal, require_roles
from eventkit.web.problems import Problem
from reporting.adapters import medical_fund
from reporting.api.access import FUND_WRITERS, MEDICAL_READERS, PERIOD, REGION, ensure_city
from reporting.api.reports import Format, as_json, download, region_names
from reporting.application import fund, queries
from reporting.domain import medical
from reporting.domain.table import Table

router = APIRouter(tags=["medical 职工医保减征统计"])
City = Annotated[str, Path(pattern=REGION, description="the city's pooling region (统筹区, 6 digits)")]
Month = Annotated[str, Path(pattern=PERIOD, description="the month (费款所属期, YYYY-MM)")]


class FundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    balance_fen: int = Field(description="上月末统筹基金累计结存, fen (may be negative)")
    income_fen: int = Field(ge=0, description="上月统筹基金收入, fen")
    spending_fen: int = Field(ge=0, description="上月统筹基金支出, fen")
    note: str = Field(default="", max_length=500)


def fund_out(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("region", "month", "balance_fen", "income_fen", "spending_fen", "note", "recorded_by", "recorded_at")
    return {k: row[k] for k in keys}


async def medical_table(request: Request, region: str, month: str) -> Table:
    async with request.app.state.sessions() as session:
        got = await queries.facts(session, queries.Filter(region, month, month))
        concerned = sorted({li.credit_code for li in got.liabilities if li.insurance == medical.MEDICAL})
        declared = await queries.declared(session, concerned, month)
        policies = await queries.policy_facts(session)
        figures = await medical_fund.get(session, region, month)
    fund_figures = (
        medical.FundFigures(figures["balance_fen"], figures["income_fen"], figures["spending_fen"]) if figures else None
    )
    data = medical.row(
        region=region, region_name=region_names().get(region, ""), month=month, liabilities=got.liabilities,
        declared=declared, accounts=got.accounts, policies=policies, fund=fund_figures,
    )  # fmt: skip
    return medical.table(data, {"region": region, "month": month})


# declared before the JSON route: "{month}" alone would also match "2020-03.csv"
@router.get("/v1/reports/medical-relief/{region}/{month}.{fmt}")
async def medical_relief_download(
    region: City, month: Month, fmt: Format, request: Request, principal: Principal = Depends(require_roles(*MEDICAL_READERS))
) -> Response:
    """The table as CSV or XLSX (万元 with four decimals)."""
    ensure_city(principal, region)
    return download(await medical_table(request, region, month), fmt)


@router.get("/v1/reports/medical-relief/{region}/{month}")
async def medical_relief_json(
    region: City, month: Month, request: Request, principal: Principal = Depends(require_roles(*MEDICAL_READERS))
) -> dict[str, Any]:
    """职工医保阶段性减征医保费统计表: the city's one line (amounts in fen; the form prints 万元)."""
    ensure_city(principal, region)
    table = await medical_table(request, region, month)
    return as_json(table, [dict(r) for r in table.rows])


@router.put("/v1/medical-fund/{region}/{month}")
async def record_fund(
    region: City, month: Month, body: FundIn, request: Request, principal: Principal = Depends(require_roles(*FUND_WRITERS))
) -> dict[str, Any]:
    """Enter (or correct) the fund figures of the city for the month: recorded as an event, the latest counts."""
    ensure_city(principal, region)

    async def command(session: AsyncSession) -> dict[str, Any]:
        return await fund.record(
            session, request.app.state.runtime.store, region=region, month=month, balance_fen=body.balance_fen,
            income_fen=body.income_fen, spending_fen=body.spending_fen, note=body.note, by=principal.sub,
        )  # fmt: skip

    return fund_out(await retrying(request.app.state.sessions, command))  # two officers at once: decided again


@router.get("/v1/medical-fund/{region}/{month}")
async def get_fund(
    region: City, month: Month, request: Request, principal: Principal = Depends(require_roles(*MEDICAL_READERS))
) -> dict[str, Any]:
    """The fund figures entered for the city and month (404 when none yet)."""
    ensure_city(principal, region)
    async with request.app.state.sessions() as session:
        row = await medical_fund.get(session, region, month)
    if row is None:
        raise Problem(404, f"no fund figures entered for {region} {month} (未填报)", slug="fund-figures-not-found")
    return fund_out(row)
