"""Signed callbacks to the platform, delivered from the ledger's outbox and retried with back-off.

The signature is ``X-Bank-Signature: sha256=<hex HMAC-SHA256 of the exact body with the shared
secret>``; :func:`verify` is what a receiver runs (compare in constant time, over the raw bytes).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from datetime import UTC, datetime

import httpx

from banksim.ledger import Ledger

log = logging.getLogger("banksim.callbacks")
HEADER = "X-Bank-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(sign(secret, body), header)


class Deliverer:
    """Polls the outbox for due callbacks and posts each one; a 2xx answer is a delivery."""

    def __init__(self, ledger: Ledger, secret: str, attempts: int, backoff_ms: int, timeout_s: float) -> None:
        self.ledger = ledger
        self.secret = secret
        self.attempts = attempts
        self.backoff_s = backoff_ms / 1000
        self.timeout_s = timeout_s
        self._in_flight: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=self.timeout_s) as client:
            while not stop.is_set():
                for row in self.ledger.due_callbacks(time.time()):
                    if row["id"] not in self._in_flight:
                        self._in_flight.add(row["id"])
                        task = asyncio.create_task(
                            self._deliver(client, row["id"], row["url"], row["content_type"], row["body"], row["attempts"])
                        )
                        self._tasks.add(task)
                        task.add_done_callback(self._tasks.discard)
                try:
                    await asyncio.wait_for(stop.wait(), 0.05)
                except TimeoutError:
                    pass
            for task in list(self._tasks):
                task.cancel()

    async def _deliver(
        self, client: httpx.AsyncClient, id_: int, url: str, content_type: str, body: bytes, attempts: int
    ) -> None:
        try:
            headers = {"Content-Type": content_type, HEADER: sign(self.secret, body)}
            try:
                response = await client.post(url, content=body, headers=headers)
                error = None if response.is_success else f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            if error is None:
                self.ledger.callback_delivered(id_, datetime.now(UTC))
                return
            tried = attempts + 1
            retry_at = None if tried >= self.attempts else time.time() + min(10.0, self.backoff_s * 2 ** (tried - 1))
            log.warning("callback %s to %s failed (attempt %s): %s", id_, url, tried, error)
            self.ledger.callback_failed(id_, error, retry_at)
        finally:
            self._in_flight.discard(id_)
