"""试算 Preview for e-tax frontends and service desks: what a payer would owe for a fee period
under the policies in force (or as known on a given day), explained clause by clause. Records
nothing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel

from eventkit.web.auth import Principal, ensure_payer_scope, require_roles
from eventkit.web.problems import FieldError, Problem
from relief_calc.application.policies import PublishedPolicies
from relief_calc.domain.errors import InvalidRequest, PolicyDataError
from relief_calc.domain.policies import PolicySet
from relief_calc.domain.preview import PreviewRequest, default_policies, preview

router = APIRouter(tags=["preview 试算"])
PREVIEW_ROLES = ("payer", "tax_officer", "hr_officer", "finance_officer", "econ_officer", "policy_admin", "auditor", "admin")


class PreviewLineOut(BaseModel):
    insurance: str
    relief: str
    employer_original_fen: int
    employer_relief_fen: int
    employer_payable_fen: int
    individual_fen: int
    trace: list[dict[str, Any]]


class PreviewOut(BaseModel):
    """For a fee period: lines and totals. For a construction project: relief, months and amounts."""

    status: str
    fee_period: str | None = None
    lines: list[PreviewLineOut] | None = None
    employer_payable_fen: int | None = None
    employer_relief_fen: int | None = None
    individual_fen: int | None = None
    relief: str | None = None
    months_in_window: int | None = None
    relief_fen: int | None = None
    payable_fen: int | None = None
    trace: list[dict[str, Any]] | None = None


_PUBLISHED = PublishedPolicies()


async def _policies(request: Request) -> PolicySet:
    """The policies this service has published (amendments included); before it has published
    any (a fresh start, or an app without its start-up work), the shipped policy files."""
    async with request.app.state.sessions() as session:
        try:
            return await _PUBLISHED(session)
        except PolicyDataError:
            return default_policies()


@router.post("/v1/liabilities/preview", response_model=PreviewOut, response_model_exclude_none=True)
async def preview_liability(
    request: Request, body: PreviewRequest = Body(...), principal: Principal = Depends(require_roles(*PREVIEW_ROLES))
) -> dict[str, Any]:
    """Relief preview (试算) of a declaration or a construction project. A payer may only name its
    own credit code."""
    code = body.payer.credit_code
    if code is not None:
        ensure_payer_scope(principal, code, officer_roles=set(PREVIEW_ROLES) - {"payer"})
    try:
        return preview(body.model_dump(mode="json", exclude_none=True), policies=await _policies(request))
    except InvalidRequest as exc:
        raise Problem(
            422, f"{exc.en} ({exc.zh})", slug="invalid-preview", errors=[FieldError(exc.field, exc.en, exc.zh)]
        ) from None
