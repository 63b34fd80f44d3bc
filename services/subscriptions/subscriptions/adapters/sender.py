"""Sending one signed delivery over HTTP to the address the guard checked (the webhook sender port).

The connection goes to the checked IP address; the Host header (and, over TLS, the SNI name and
the certificate check) keep the callback's own host name. Redirects are not followed (a redirect
could point anywhere).
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass

import httpx

from subscriptions.domain.addresses import Callback, IPAddress


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    latency_ms: int
    error: str | None


class HttpSender:
    def __init__(self, *, timeout_s: float = 10.0) -> None:
        self.client = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False, trust_env=False)

    async def send(self, callback: Callback, address: IPAddress, body: bytes, headers: dict[str, str]) -> Answer:
        host = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
        url = f"{callback.scheme}://{host}:{callback.port}{callback.target}"
        default_port = 443 if callback.scheme == "https" else 80
        host_header = callback.host if callback.port == default_port else f"{callback.host}:{callback.port}"
        if ":" in callback.host:  # an IPv6 literal
            host_header = f"[{callback.host}]" + ("" if callback.port == default_port else f":{callback.port}")
        extensions = {"sni_hostname": callback.host} if callback.scheme == "https" else {}
        started = time.perf_counter()
        try:
            response = await self.client.post(
                url,
                content=body,
                headers={
                    **headers,
                    "content-type": "application/json",
                    "host": host_header,
                    "user-agent": "relief-subscriptions/1",
                },
                extensions=extensions,
            )
        except httpx.HTTPError as exc:
            return Answer(None, _ms(started), f"{type(exc).__name__}: {exc}"[:500])
        return Answer(response.status_code, _ms(started), None if response.is_success else response.text[:200])

    async def aclose(self) -> None:
        await self.client.aclose()


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
