"""The bank's status reports (pain.002) at a signed callback: refunds accepted, settled or rejected."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from eventkit.web.auth import Principal
from eventkit.web.signature import signed_by
from iso20022 import PaymentStatusReport, pain002
from refund.api.bank import bank_secret
from refund.api.messages import parse_message
from refund.application.bank_status import record_report

router = APIRouter(tags=["bank 银行"])


@router.post("/v1/bank/status-reports")
async def status_report(request: Request, _bank: Principal = Depends(signed_by("bank", bank_secret))) -> dict[str, Any]:
    """pain.002 payment status report (XML, or its JSON form with `Content-Type: application/json`)
    for refunds instructed earlier, signed `X-Bank-Signature: sha256=<HMAC-SHA256 of the body>`.
    Each status moves its refund on (accepted, settled, rejected with the reason); the same report
    again records nothing (`unchanged`); a status contradicting the record is flagged for an officer."""
    report = parse_message(
        await request.body(), request.headers.get("content-type", ""), xml=pain002.parse, json=PaymentStatusReport.from_json,
        what="a pain.002 status report", what_zh="报文有误", slug="invalid-status-report",
    )  # fmt: skip
    runtime = request.app.state.runtime
    outcomes = await record_report(runtime.sessions, runtime.store, report)
    return {"message_id": report.message_id, "transactions": [o.__dict__ for o in outcomes]}
