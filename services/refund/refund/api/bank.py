"""The bank's side of the refund service: payment notifications (camt.054) at a signed callback
(the payments parked for an officer: api/parked.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from eventkit.commands import retrying
from eventkit.web.auth import Principal
from eventkit.web.signature import signed_by
from iso20022 import camt054
from iso20022.camt054 import DebitCreditNotification
from refund.api.deps import keyring, settlement_rule
from refund.api.messages import parse_message
from refund.application.payments import record_notification

router = APIRouter(tags=["bank 银行"])


def bank_secret(request: Request) -> bytes | None:
    secret = request.app.state.settings.bank_callback_secret
    return secret.encode() if secret else None


@router.post("/v1/bank/notifications")
async def notify(request: Request, _bank: Principal = Depends(signed_by("bank", bank_secret))) -> dict[str, Any]:
    """camt.054 debit/credit notification (XML, or its JSON form with `Content-Type:
    application/json`), signed `X-Bank-Signature: sha256=<HMAC-SHA256 of the body>`. Payments go
    onto the payers' ledgers (`PaymentReceived`), reversals reverse them, anything that matches no
    ledger is parked for an officer. Idempotent by the bank's reference: a notification sent again
    records nothing new (`duplicate`)."""
    message = parse_message(
        await request.body(), request.headers.get("content-type", ""), xml=camt054.parse,
        json=DebitCreditNotification.from_json, what="a camt.054 notification", what_zh="报文有误", slug="invalid-notification",
    )  # fmt: skip
    runtime, ring = request.app.state.runtime, keyring(request)
    outcomes = await retrying(
        runtime.sessions, lambda s: record_notification(s, runtime.store, ring, message, settlement_rule(request))
    )
    return {"message_id": message.message_id, "entries": [o.__dict__ for o in outcomes]}
