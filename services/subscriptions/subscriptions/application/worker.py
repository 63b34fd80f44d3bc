"""The delivery worker: due deliveries are claimed under a lease, signed and POSTed.

Per delivery and attempt: the webhook is looked up (a revoked one cancels the delivery), its
callback URL is resolved and checked again (DNS rebinding: the worker connects to the address it
checked), the body is signed per Standard Webhooks with the same `webhook-id` on every attempt
and a fresh timestamp, and the answer is logged (status code, latency). A 2xx delivers; anything
else (an error status, a timeout, a refused address) is retried after the configured schedule's
next wait, and marked failed when the schedule is spent. A crash between the POST and the log
line re-sends after the lease: at least once, with the same `webhook-id` for receivers to drop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eventkit.crypto import Keyring
from eventkit.workers import run_rounds
from subscriptions.adapters import deliveries, webhooks
from subscriptions.adapters.resolver import checked
from subscriptions.adapters.sender import Answer, HttpSender
from subscriptions.domain import signing
from subscriptions.domain.addresses import CallbackRefused
from subscriptions.domain.events import SECRET_CONTEXT
from subscriptions.domain.schedule import DEFAULT_SCHEDULE_S, next_attempt

log = logging.getLogger(__name__)
ATTEMPTS = Counter("subscriptions_delivery_attempts_total", "Webhook delivery attempts, by outcome", ["outcome"])


@dataclass(frozen=True)
class WorkerConfig:
    schedule_s: Sequence[float] = DEFAULT_SCHEDULE_S
    batch: int = 50
    concurrency: int = 8
    poll_s: float = 0.5
    lease_s: float = 60.0
    allow_private: bool = False
    require_https: bool = True


def _now() -> datetime:
    return datetime.now(UTC)


class DeliveryWorker:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], keyring: Keyring, sender: HttpSender, config: WorkerConfig
    ) -> None:
        self.sessions, self.keyring, self.sender, self.config = sessions, keyring, sender, config
        self._limit = asyncio.Semaphore(config.concurrency)

    async def run(self, stop: asyncio.Event) -> None:
        await run_rounds(self.round, stop, idle_s=self.config.poll_s, name="delivery worker")

    async def round(self) -> int:
        async with self.sessions() as session, session.begin():
            claimed = await deliveries.claim(session, now=_now(), batch=self.config.batch, lease_s=self.config.lease_s)
        await asyncio.gather(*(self._guarded(d) for d in claimed))
        return len(claimed)

    async def _guarded(self, delivery: dict[str, Any]) -> None:
        async with self._limit:
            try:
                await self.attempt(delivery)
            except Exception:
                log.exception("delivery %s: attempt failed unexpectedly (the lease will run out)", delivery["delivery_id"])

    async def attempt(self, delivery: dict[str, Any]) -> None:
        async with self.sessions() as session:
            hook = await webhooks.get(session, delivery["webhook_id"])
        if hook is None or hook["status"] != "active":
            async with self.sessions() as session, session.begin():
                await deliveries.cancel(session, delivery["delivery_id"], "webhook revoked")
            return
        started = _now()
        body = delivery["body"].encode()
        try:
            callback, address = await checked(
                hook["url"], allow_private=self.config.allow_private, require_https=self.config.require_https
            )
        except CallbackRefused as exc:
            await self._record(delivery, started, Answer(None, 0, exc.reason), refused=True)
            return
        secret = self.keyring.decrypt(hook["secret"], context=SECRET_CONTEXT)
        headers = signing.headers(secret, delivery["delivery_id"], int(started.timestamp()), body)
        await self._record(delivery, started, await self.sender.send(callback, address, body, headers), refused=False)

    async def _record(self, delivery: dict[str, Any], started: datetime, answer: Answer, *, refused: bool) -> None:
        ok = answer.status_code is not None and 200 <= answer.status_code < 300
        outcome = "delivered" if ok else "refused" if refused else "error" if answer.status_code is None else "failed"
        ATTEMPTS.labels(outcome).inc()
        later = None if ok else next_attempt(self.config.schedule_s, int(delivery["attempts"]) + 1, _now())
        status = deliveries.DELIVERED if ok else deliveries.PENDING if later is not None else deliveries.FAILED
        async with self.sessions() as session, session.begin():
            await deliveries.record_attempt(
                session, delivery, started_at=started, status_code=answer.status_code, latency_ms=answer.latency_ms,
                outcome=outcome, error=answer.error, status=status, next_attempt_at=later,
            )  # fmt: skip
        log.info(
            "delivery %s attempt %d: %s", delivery["delivery_id"], int(delivery["attempts"]) + 1, outcome,
            extra={"webhook_id": delivery["webhook_id"], "status_code": answer.status_code, "latency_ms": answer.latency_ms},
        )  # fmt: skip
