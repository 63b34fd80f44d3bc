"""The payer ledger (分户账) over REST: balances per fee period, insurance and part, and the
statement (按月分户), paginated. Read straight from the payer's ledger stream (exact at once)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from eventkit.web.auth import Principal, ensure_payer_scope, require_roles
from refund.application.dues import load_ledger
from refund.domain.ledger import statement, totals, violations

router = APIRouter(tags=["ledger 分户账"])
STAFF = ("tax_officer", "refund_approver", "auditor", "admin")
READERS = ("payer", *STAFF)  # a payer: its own records only
CreditCode = Annotated[str, Path(pattern=r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$", description="统一社会信用代码")]
PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"


@router.get("/v1/payers/{credit_code}/ledger")
async def get_ledger(
    credit_code: CreditCode, request: Request, principal: Principal = Depends(require_roles(*READERS))
) -> dict[str, Any]:
    """The payer's totals (due, paid, credit, refunded, offset, outstanding, balance) and its open
    credits with their settlement (refund or offset)."""
    ensure_payer_scope(principal, credit_code, officer_roles=STAFF)
    async with request.app.state.sessions() as session:
        ledger, version = await load_ledger(session, request.app.state.runtime.store, credit_code)
    total = totals(ledger)
    return {
        "credit_code": credit_code,
        "version": version,
        "totals": {
            "due_fen": total.due,
            "paid_fen": total.paid,
            "credited_fen": total.credited,
            "refunded_fen": total.refunded,
            "offset_in_fen": total.offset_in,
            "offset_out_fen": total.offset_out,
            "outstanding_fen": total.outstanding,
            "credit_fen": total.credit,
            "balance_fen": total.balance,
        },
        "credits": [
            {
                "credit_id": c.credit_id,
                "fee_period": c.origin.fee_period,
                "insurance": c.origin.insurance,
                "part": c.origin.part,
                "project": c.origin.project_or_none,
                "open_fen": c.open,
                "settlement": c.settlement,
            }
            for c in ledger.credits.values()
            if c.open
        ],
        "balanced": not violations(ledger),
    }


@router.get("/v1/payers/{credit_code}/ledger/statement")
async def get_statement(
    credit_code: CreditCode,
    request: Request,
    period_from: str | None = Query(None, alias="from", pattern=PERIOD),
    period_to: str | None = Query(None, alias="to", pattern=PERIOD),
    offset: int = Query(0, ge=0, description="lines to skip (the previous page's next_offset)"),
    limit: int = Query(100, ge=1, le=1000),
    principal: Principal = Depends(require_roles(*READERS)),
) -> dict[str, Any]:
    """按月分户: one line per fee period, insurance and part, in a stable order."""
    ensure_payer_scope(principal, credit_code, officer_roles=STAFF)
    async with request.app.state.sessions() as session:
        ledger, version = await load_ledger(session, request.app.state.runtime.store, credit_code)
    lines = [
        line
        for line in statement(ledger)
        if (period_from is None or line.fee_period >= period_from) and (period_to is None or line.fee_period <= period_to)
    ]
    page = lines[offset : offset + limit]
    return {
        "credit_code": credit_code,
        "version": version,
        "items": [asdict(line) for line in page],
        "next_offset": offset + limit if offset + limit < len(lines) else None,
    }
