"""Policy impact simulation (政策影响测算) over REST: a draft policy replayed over the stored
declarations, against the policies in force. Records nothing: no event, no row."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, ValidationError

from eventkit.web.auth import Principal, require_roles
from eventkit.web.problems import FieldError, Problem
from relief_calc.application import simulations as app
from relief_calc.application.policies import PolicyCache
from relief_calc.domain.errors import InvalidRequest, PolicyDataError
from relief_calc.domain.policy_model import Policy

router = APIRouter(tags=["simulations 政策影响测算"])
SIMULATORS = ("policy_admin", "tax_officer", "auditor", "admin")
NATIONWIDE = ("policy_admin", "auditor", "admin")  # a tax officer with a region claim sees its region only
_CACHE = PolicyCache()
_PERIOD = {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "description": "费款所属期 YYYY-MM"}
REQUEST_SCHEMA = {
    "type": "object",
    "required": ["draft"],
    "additionalProperties": False,
    "properties": {
        "draft": {"type": "object", "description": "the draft policy document, as in policies/*.yaml (not published)"},
        "filters": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "regions": {"type": "array", "items": {"type": "string", "pattern": r"^\d{6}$"}, "description": "统筹区"},
                "from": _PERIOD,
                "to": _PERIOD,
            },
        },
    },
}


class AmountsOut(BaseModel):
    employer_relief_fen: int
    employer_payable_fen: int
    relieved: int  # payer-periods with relief (on this insurance; in totals: on any)


class RowOut(BaseModel):
    region: str
    fee_period: str
    insurance: str
    size: str  # large | medium | small | micro | unknown (assessed provisionally) | n/a (not an enterprise)
    payer_periods: int
    employer_original_fen: int
    baseline: AmountsOut
    draft: AmountsOut
    difference: AmountsOut  # draft − baseline
    relief_changed: int


class TotalsOut(BaseModel):
    payer_periods: int
    employer_original_fen: int
    baseline: AmountsOut
    draft: AmountsOut
    difference: AmountsOut
    relief_changed: int
    payable_changed: int


class PolicyVersionRef(BaseModel):
    policy_id: str
    published: str
    content_hash: str


class FailureOut(BaseModel):
    credit_code: str
    fee_period: str
    error: str


class SimulationOut(BaseModel):
    draft: PolicyVersionRef
    baseline: list[PolicyVersionRef]  # the latest version of every published policy
    filters: dict[str, Any]
    rows: list[RowOut]  # by region, fee period, insurance, size
    totals: TotalsOut
    excluded: dict[str, int]  # declarations held, voided or rejected: no liability to compare
    failed: int
    failures: list[FailureOut]  # the first 20 by payer and period


def _invalid(errors: list[FieldError], detail: str = "invalid simulation request (测算请求有误)") -> Problem:
    return Problem(422, detail, slug="invalid-simulation", errors=errors)


def _draft(body: dict[str, Any]) -> Policy:
    draft = body.get("draft")
    if not isinstance(draft, dict):
        raise _invalid([FieldError("draft", "the draft policy document (an object) is required", "缺少政策草案（应为对象）")])
    try:
        return Policy.model_validate(draft)
    except ValidationError as error:
        raise _invalid(
            [
                FieldError(
                    "draft." + ".".join(str(p) for p in e["loc"]) if e["loc"] else "draft",
                    e["msg"],
                    f"政策草案字段有误：{e['msg']}",
                )
                for e in error.errors()
            ],
            "invalid draft policy (政策草案有误)",
        ) from None


def _filters(body: dict[str, Any], principal: Principal) -> app.Filters:
    raw = body.get("filters") or {}
    if not isinstance(raw, dict):
        raise _invalid([FieldError("filters", "filters must be an object", "filters应为对象")])
    unknown = sorted(set(raw) - {"regions", "from", "to"}) + sorted(set(body) - {"draft", "filters"})
    if unknown:
        raise _invalid([FieldError(name, "unknown field", f"未知字段{name}") for name in unknown])
    regions = raw.get("regions") or []
    if not isinstance(regions, list):
        raise _invalid([FieldError("filters.regions", "regions must be a list of 6-digit codes", "regions应为6位统筹区代码列表")])
    if principal.region is not None and not principal.has_any(NATIONWIDE):
        if any(code != principal.region for code in regions):
            raise Problem(
                403,
                f"a tax officer of {principal.region} may simulate its own region only (仅限本统筹区)",
                slug="forbidden-region",
            )
        regions = [principal.region]
    try:
        return app.Filters.of(regions, raw.get("from"), raw.get("to"))
    except InvalidRequest as exc:
        raise _invalid([FieldError(exc.field or "filters", exc.en, exc.zh)], f"{exc.en} ({exc.zh})") from None


@router.post(
    "/v1/simulations",
    response_model=SimulationOut,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": REQUEST_SCHEMA}}}},
)
async def simulate(
    request: Request,
    body: dict[str, Any] = Body(..., description="`draft` (a policy document) and optional `filters`"),
    principal: Principal = Depends(require_roles(*SIMULATORS)),
) -> dict[str, Any]:
    """Replay the stored declarations (current revisions, sizes in force) under the draft policy,
    against the published policies: employer relief and payable in fen by region, fee period,
    insurance and size, with totals and the payer-periods whose relief changes. Writes nothing.
    A draft that does not fit the published set (an override of an unknown policy, an amended rule
    that does not exist, a second version on the same day) is a 422. For large runs use
    `relief-calc simulate` (progress bar)."""
    draft = _draft(body)
    filters = _filters(body, principal)
    try:
        outcome = await app.simulate(request.app.state.sessions, draft, filters, cache=_CACHE)
    except PolicyDataError as exc:
        raise _invalid(
            [FieldError(exc.field or "draft", exc.en, exc.zh)],
            f"the draft does not fit the published policies: {exc.en} ({exc.zh})",
        ) from None
    return outcome.to_json()
