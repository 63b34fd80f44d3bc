"""The bank's status reports (pain.002) at a signed callback: refunds accepted, settled or rejected."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError

from eventkit.web.auth import Principal
from eventkit.web.problems import FieldError, Problem
from eventkit.web.signature import signed_by
from iso20022 import PaymentStatusReport, pain002
from iso20022.errors import MessageError
from refund.api.bank import bank_secret
from refund.application.bank_status import record_report

router = APIRouter(tags=["bank 银行"])


def _parse(body: bytes, content_type: str) -> PaymentStatusReport:
    try:
        if content_type.startswith("application/json"):
            return PaymentStatusReport.from_json(body)
        return pain002.parse(body)
    except MessageError as exc:
        raise Problem(
            422, f"not a pain.002 status report: {exc.reason}", slug="invalid-status-report",
            errors=[FieldError(exc.path, exc.reason, f"报文有误：{exc.reason}")],
        ) from None  # fmt: skip
    except ValidationError as exc:
        raise Problem(
            422, "not a pain.002 status report", slug="invalid-status-report",
            errors=[FieldError(".".join(map(str, e["loc"])) or "(body)", e["msg"], f"报文有误：{e['msg']}") for e in exc.errors()],
        ) from None  # fmt: skip


@router.post("/v1/bank/status-reports")
async def status_report(request: Request, _bank: Principal = Depends(signed_by("bank", bank_secret))) -> dict[str, Any]:
    """pain.002 payment status report (XML, or its JSON form with `Content-Type: application/json`)
    for refunds instructed earlier, signed `X-Bank-Signature: sha256=<HMAC-SHA256 of the body>`.
    Each status moves its refund on (accepted, settled, rejected with the reason); the same report
    again records nothing (`unchanged`); a status contradicting the record is flagged for an officer."""
    report = _parse(await request.body(), request.headers.get("content-type", ""))
    runtime = request.app.state.runtime
    outcomes = await record_report(runtime.sessions, runtime.store, report)
    return {"message_id": report.message_id, "transactions": [o.__dict__ for o in outcomes]}
