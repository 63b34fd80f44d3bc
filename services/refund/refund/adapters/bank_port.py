"""The bank, behind a small port: send a pain.001 as stored bytes, ask the status of an end-to-end id.

`BankPort` is what the refund worker needs of any bank. `HttpBank` speaks ISO 20022 over HTTP
(httpx) to a commercial bank (and to the simulator under tools/banksim); a treasury adapter
(财税库银横向联网) would implement the same two methods.

What an answer means:
* `send` returns the pain.002 the bank answered with (statuses per end-to-end id);
* `status` returns the bank's latest pain.002 for the end-to-end id, or None when the bank has
  never received any instruction of it (HTTP 404);
* `BankUnavailable`: no answer we can rely on (timeout, connection dropped, 5xx). The instruction
  may or may not have been received: the caller asks for the status later, never instructs anew;
* `BankRefused`: the bank refused the message itself (4xx other than 404): a defect to look at.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

import httpx

from iso20022 import CreditTransfer, CreditTransferInitiation, MessageError, Party, PaymentStatusReport, pain001, pain002

XML = "application/xml"
JSON = "application/json"


class BankUnavailable(Exception):
    """The bank gave no answer we can rely on (timeout, dropped connection, 5xx)."""


class BankRefused(Exception):
    """The bank refused the message itself (a 4xx): not a status of the payment."""


class BankPort(Protocol):
    name: str

    async def send(self, payload: bytes) -> PaymentStatusReport: ...

    async def status(self, end_to_end_id: str) -> PaymentStatusReport | None: ...

    async def aclose(self) -> None: ...


def _report(response: httpx.Response) -> PaymentStatusReport:
    try:
        if response.headers.get("content-type", "").startswith(JSON):
            return PaymentStatusReport.from_json(response.content)
        return pain002.parse(response.content)
    except MessageError as exc:  # an answer we cannot read is no answer
        raise BankUnavailable(f"unreadable pain.002: {exc}") from None


class HttpBank:
    """ISO 20022 over HTTP: `POST {base}/pain001` (XML), `GET {base}/status/{end-to-end id}`."""

    name = "http"

    def __init__(self, base_url: str, *, timeout_s: float = 10.0, client: httpx.AsyncClient | None = None) -> None:
        self._client = client or httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout_s)

    async def _call(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        try:
            response = await self._client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.TimeoutException as exc:
            raise BankUnavailable(f"timeout: {type(exc).__name__}") from None
        except httpx.TransportError as exc:
            raise BankUnavailable(f"{type(exc).__name__}: {exc}") from None
        if response.status_code >= 500:
            raise BankUnavailable(f"HTTP {response.status_code}")
        return response

    async def send(self, payload: bytes) -> PaymentStatusReport:
        response = await self._call("POST", "/pain001", content=payload, headers={"Content-Type": XML, "Accept": XML})
        if response.status_code != 200:
            raise BankRefused(f"HTTP {response.status_code}: {response.text[:300]}")
        return _report(response)

    async def status(self, end_to_end_id: str) -> PaymentStatusReport | None:
        response = await self._call("GET", f"/status/{end_to_end_id}", headers={"Accept": XML})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise BankRefused(f"HTTP {response.status_code}: {response.text[:300]}")
        return _report(response)

    async def aclose(self) -> None:
        await self._client.aclose()


def credit_transfer(
    *,
    message_id: str,
    refund_id: str,
    amount_fen: int,
    payee_name: str,
    payee_account: str,
    debtor: Party,
    debtor_agent: str,
    initiating_party: str,
    now: datetime,
    execution_date: date,
    remittance: str,
) -> bytes:
    """The pain.001 of one refund attempt: one transaction whose end-to-end id is the refund id.
    The bytes are deterministic for the same arguments; they are stored sealed and re-sent as they are."""
    msg = CreditTransferInitiation(
        message_id=message_id,
        created_at=now,
        initiating_party=initiating_party,
        payment_info_id=message_id,
        requested_execution_date=execution_date,
        debtor=debtor,
        debtor_agent=debtor_agent,
        transactions=(
            CreditTransfer(
                end_to_end_id=refund_id,
                amount_fen=amount_fen,
                creditor=Party(name=payee_name, account=payee_account),
                remittance=remittance,
            ),
        ),
    )
    return pain001.build(msg)
