"""Assessed liabilities (应缴) over REST: a payer's list, and one payer-period with its history,
as it stands or as it was recorded on a given day ("what did we assess with what we knew then")."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from eventkit.web.auth import Principal, ensure_payer_scope, require_roles
from eventkit.web.problems import Problem
from relief_calc.adapters import liabilities as read
from relief_calc.adapters.deferrals import approved_deferrals
from relief_calc.adapters.paid import paid_entries
from relief_calc.application.policies import PublishedPolicies
from relief_calc.domain.errors import PolicyDataError
from relief_calc.domain.liability_events import LiabilityAssessed, LiabilityReassessed, LiabilityWithdrawn
from relief_calc.domain.liability_late_fees import Deferral, late_fee
from relief_calc.domain.policies import LateFeeParameters

router = APIRouter(tags=["liabilities 应缴"])
STAFF = ("tax_officer", "hr_officer", "finance_officer", "econ_officer", "auditor", "admin")
READERS = ("payer", *STAFF)  # a payer: its own records only
CreditCode = Annotated[str, Path(pattern=r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$", description="统一社会信用代码")]
Period = Annotated[str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="费款所属期 YYYY-MM")]


@router.get("/v1/payers/{credit_code}/liabilities")
async def list_liabilities(
    credit_code: CreditCode,
    request: Request,
    period_from: str | None = Query(None, alias="from", pattern=r"^\d{4}-(0[1-9]|1[0-2])$"),
    period_to: str | None = Query(None, alias="to", pattern=r"^\d{4}-(0[1-9]|1[0-2])$"),
    principal: Principal = Depends(require_roles(*READERS)),
) -> dict[str, Any]:
    """The payer's assessed liabilities by fee period (a read model: it may trail the log by moments)."""
    ensure_payer_scope(principal, credit_code, officer_roles=STAFF)
    async with request.app.state.sessions() as session:
        rows = await read.liabilities_of(session, credit_code, period_from, period_to)
    items = [
        {
            "fee_period": r.fee_period,
            "status": r.status,
            "size_used": r.size_used,
            "declaration_revision": r.declaration_revision,
            "employer_original_fen": r.employer_original_fen,
            "employer_relief_fen": r.employer_relief_fen,
            "employer_payable_fen": r.employer_payable_fen,
            "individual_fen": r.individual_fen,
            "due_date": r.due_date,
            "version": r.version,
        }
        for r in rows
    ]
    return {"credit_code": credit_code, "items": items}


@router.get("/v1/payers/{credit_code}/liabilities/{fee_period}")
async def get_liability(
    credit_code: CreditCode,
    fee_period: Period,
    request: Request,
    as_known_at: datetime | None = Query(None, description="the liability as recorded at this time (ISO 8601)"),
    principal: Principal = Depends(require_roles(*READERS)),
) -> dict[str, Any]:
    """One payer-period: the liability (lines, totals, the rule behind each line, the input versions)
    and every assessment of it, read from the event store."""
    ensure_payer_scope(principal, credit_code, officer_roles=STAFF)
    if as_known_at is not None and as_known_at.tzinfo is None:
        as_known_at = as_known_at.replace(tzinfo=UTC)
    async with request.app.state.sessions() as session:
        events = await read.history(session, credit_code, fee_period, as_known_at)
    if not events:
        raise Problem(404, f"no liability of {credit_code} for {fee_period} (尚未核定)", slug="liability-not-found")
    history: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for msg in events:
        e = msg.event
        entry: dict[str, Any] = {
            "version": msg.envelope.streamversion,
            "event": e.name.split(".")[-1],
            "at": msg.envelope.time.isoformat(),
        }
        if isinstance(e, LiabilityReassessed):
            entry |= {
                "reasons": list(e.reasons),
                "employer_payable_delta_fen": e.employer_payable_delta_fen,
                "employer_relief_delta_fen": e.employer_relief_delta_fen,
                "deltas": [d.model_dump() for d in e.deltas],
            }
        if isinstance(e, LiabilityAssessed | LiabilityReassessed):
            current = e.liability.model_dump(mode="json")
            entry["employer_payable_fen"] = e.liability.employer_payable_fen
        elif isinstance(e, LiabilityWithdrawn):
            current = None
            entry["reason"] = e.reason
        history.append(entry)
    return {
        "credit_code": credit_code,
        "fee_period": fee_period,
        "status": "withdrawn" if current is None else current["status"],
        "version": events[-1].envelope.streamversion,
        "liability": current,
        "history": history,
    }


_POLICIES = PublishedPolicies()


@router.get("/v1/payers/{credit_code}/liabilities/{fee_period}/late-fee")
async def get_late_fee(
    credit_code: CreditCode,
    fee_period: Period,
    request: Request,
    on: date = Query(..., description="the day to compute up to (the payment day, or today for a debt still unpaid)"),
    principal: Principal = Depends(require_roles(*READERS)),
) -> dict[str, Any]:
    """滞纳金 of the current liability on day `on`, per insurance and part: each day late on what was
    still unpaid that day by the refund service's ledger (`paid_source: ledger`; payments on their
    value date, reversals, offsets and credits on the day recorded, all listed in `payments`), with
    approved deferrals (缓缴) taken into account. `overdue` gives each line's overdue amounts by run
    of days. The ledger is a read model of refund.events: it may trail the refund service by moments."""
    ensure_payer_scope(principal, credit_code, officer_roles=STAFF)
    async with request.app.state.sessions() as session:
        events = await read.history(session, credit_code, fee_period)
        current = events[-1].event if events else None
        if not isinstance(current, LiabilityAssessed | LiabilityReassessed):  # none, or withdrawn
            raise Problem(404, f"no liability of {credit_code} for {fee_period} (尚未核定)", slug="liability-not-found")
        liability = current.liability
        try:
            resolved = (await _POLICIES(session)).parameters(LateFeeParameters, liability.region, fee_period)
        except PolicyDataError as exc:
            raise Problem(503, f"policies not available: {exc.en}", slug="policies-unavailable") from None
        approved = await approved_deferrals(session, credit_code)
        entries = await paid_entries(session, credit_code, fee_period)
    if resolved is None:
        raise Problem(404, f"no late-fee policy in force for {liability.region} {fee_period}", slug="late-fee-policy-not-found")
    deferrals = [Deferral(d.application_id, d.first_period, d.last_period, tuple(d.insurances), d.due_date) for d in approved]
    out = late_fee(liability, on, resolved.values, deferrals, entries)
    return {
        "credit_code": credit_code,
        "fee_period": fee_period,
        "liability_version": events[-1].envelope.streamversion,
        "policy": [p.id for p in resolved.policies],
        **out,
    }
