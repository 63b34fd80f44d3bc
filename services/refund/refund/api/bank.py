"""The bank's side of the refund service: payment notifications (camt.054) at a signed callback
(the payments parked for an officer: api/parked.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError

from eventkit.commands import retrying
from eventkit.web.auth import Principal
from eventkit.web.problems import FieldError, Problem
from eventkit.web.signature import signed_by
from iso20022 import camt054
from iso20022.camt054 import DebitCreditNotification
from iso20022.errors import MessageError
from refund.api.deps import keyring, settlement_rule
from refund.application.payments import record_notification

router = APIRouter(tags=["bank 银行"])


def bank_secret(request: Request) -> bytes | None:
    secret = request.app.state.settings.bank_callback_secret
    return secret.encode() if secret else None


def _parse(body: bytes, content_type: str) -> DebitCreditNotification:
    try:
        if content_type.startswith("application/json"):
            return DebitCreditNotification.from_json(body)
        return camt054.parse(body)
    except MessageError as exc:
        raise Problem(
            422, f"not a camt.054 notification: {exc.reason}", slug="invalid-notification",
            errors=[FieldError(exc.path, exc.reason, f"报文有误：{exc.reason}")],
        ) from None  # fmt: skip
    except ValidationError as exc:
        raise Problem(
            422, "not a camt.054 notification", slug="invalid-notification",
            errors=[FieldError(".".join(map(str, e["loc"])) or "(body)", e["msg"], f"报文有误：{e['msg']}") for e in exc.errors()],
        ) from None  # fmt: skip


@router.post("/v1/bank/notifications")
async def notify(request: Request, _bank: Principal = Depends(signed_by("bank", bank_secret))) -> dict[str, Any]:
    """camt.054 debit/credit notification (XML, or its JSON form with `Content-Type:
    application/json`), signed `X-Bank-Signature: sha256=<HMAC-SHA256 of the body>`. Payments go
    onto the payers' ledgers (`PaymentReceived`), reversals reverse them, anything that matches no
    ledger is parked for an officer. Idempotent by the bank's reference: a notification sent again
    records nothing new (`duplicate`)."""
    message = _parse(await request.body(), request.headers.get("content-type", ""))
    runtime, ring = request.app.state.runtime, keyring(request)
    outcomes = await retrying(
        runtime.sessions, lambda s: record_notification(s, runtime.store, ring, message, settlement_rule(request))
    )
    return {"message_id": message.message_id, "entries": [o.__dict__ for o in outcomes]}
