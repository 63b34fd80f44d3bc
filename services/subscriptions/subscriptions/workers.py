"""Background work of the subscriptions service, started with the HTTP app: the delivery worker."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from subscriptions.adapters.sender import HttpSender
from subscriptions.application.worker import DeliveryWorker, WorkerConfig
from subscriptions.settings import Settings

log = logging.getLogger(__name__)


def worker_config(settings: Settings) -> WorkerConfig:
    return WorkerConfig(
        schedule_s=tuple(settings.retry_schedule_s),
        batch=settings.delivery_batch,
        concurrency=settings.delivery_concurrency,
        poll_s=settings.delivery_poll_s,
        lease_s=settings.delivery_lease_s,
        allow_private=settings.allow_private_callbacks,
        require_https=settings.require_https,
    )


@asynccontextmanager
async def background(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    keyring = settings.keyring()
    if not settings.delivery_worker_enabled or keyring is None:
        log.warning("delivery worker not started (%s)", "disabled" if keyring is not None else "no data key")
        yield
        return
    sender = HttpSender(timeout_s=settings.delivery_timeout_s)
    worker = DeliveryWorker(app.state.runtime.sessions, keyring, sender, worker_config(settings))
    app.state.delivery_worker = worker
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop), name="subscriptions-delivery-worker")
    try:
        yield
    finally:
        stop.set()
        await task
        await sender.aclose()
