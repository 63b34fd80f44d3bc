"""The size in force for a payer and fee period, with its source; a payer's size history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from classification.application import queries
from classification.application.access import EVERYONE, ensure_own
from eventkit.web.auth import Principal, require_roles
from eventkit.web.problems import Problem

router = APIRouter(tags=["sizes 企业规模"])
CreditCodePath = Annotated[str, Path(pattern=r"^[0-9A-HJ-NP-RTUWXY]{18}$", description="统一社会信用代码")]
PeriodQuery = Annotated[str, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="费款所属期 YYYY-MM")]


class SourceOut(BaseModel):
    kind: Literal["import", "correction"]
    import_id: str | None = Field(description="the province file (SHA-256) the size came from")
    source_version: str | None = Field(description="the province data's version")
    statistical_year: int | None
    dispute_id: str | None = Field(description="the dispute a correction settled, if any")
    reason: str | None
    event_id: str
    recorded_at: datetime


class SizeOut(BaseModel):
    credit_code: str
    fee_period: str
    size: Literal["large", "medium", "small", "micro", "unclassifiable"]
    periods: dict[str, str] = Field(description="the fee periods this record governs (first, last)")
    source: SourceOut


class HistoryItemOut(BaseModel):
    version: int
    kind: Literal["assigned", "corrected", "flagged"]
    size: str
    previous_size: str | None
    statistical_year: int | None
    periods: dict[str, str] | None
    source_version: str | None
    import_id: str | None
    dispute_id: str | None
    flag_kind: str | None
    reason: str | None
    event_id: str
    recorded_at: datetime


def _source(r: dict[str, Any]) -> SourceOut:
    return SourceOut(
        kind="correction" if r["kind"] == "corrected" else "import",
        import_id=r["import_id"],
        source_version=r["source_version"],
        statistical_year=r["statistical_year"],
        dispute_id=r["dispute_id"],
        reason=r["reason"],
        event_id=r["event_id"],
        recorded_at=r["recorded_at"],
    )


@router.get("/v1/payers/{credit_code}/size", response_model=SizeOut)
async def size_in_force(
    credit_code: CreditCodePath,
    period: PeriodQuery,
    request: Request,
    principal: Principal = Depends(require_roles(*EVERYONE)),
) -> SizeOut:
    """The size in force for the fee period and where it comes from (a province import, or a
    correction, which wins). A payer reads its own only."""
    ensure_own(principal, credit_code)
    async with request.app.state.sessions() as s:
        r = await queries.size_in_force(s, credit_code, period)
    if r is None:
        raise Problem(404, f"no size recorded for payer {credit_code} and fee period {period} (未划型)", slug="size-not-found")
    return SizeOut(
        credit_code=credit_code,
        fee_period=period,
        size=r["size"],
        periods={"first": r["period_first"], "last": r["period_last"]},
        source=_source(r),
    )


@router.get("/v1/payers/{credit_code}/size-history", response_model=list[HistoryItemOut])
async def size_history(
    credit_code: CreditCodePath,
    request: Request,
    principal: Principal = Depends(require_roles(*EVERYONE)),
) -> list[HistoryItemOut]:
    """Every size event of the payer in order: assignments, corrections, review flags."""
    ensure_own(principal, credit_code)
    async with request.app.state.sessions() as s:
        rows = await queries.history(s, credit_code)
    return [
        HistoryItemOut(
            **{k: v for k, v in r.items() if k not in ("credit_code", "period_first", "period_last")},
            periods=None if r["period_first"] is None else {"first": r["period_first"], "last": r["period_last"]},
        )
        for r in rows
    ]
