"""Background work of the refund service, started with the HTTP app: the bank worker (approved
refunds to the bank, unanswered ones asked about) when a bank is configured."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from refund.adapters.bank_port import HttpBank
from refund.application.bank_worker import BankWorker, WorkerConfig
from refund.settings import Settings

log = logging.getLogger(__name__)


def worker_config(settings: Settings) -> WorkerConfig:
    return WorkerConfig(
        debtor_account=settings.bank_debtor_account,
        debtor_name=settings.bank_debtor_name,
        debtor_agent=settings.bank_debtor_agent,
        batch=settings.bank_worker_batch,
        concurrency=settings.bank_worker_concurrency,
        poll_s=settings.bank_worker_poll_s,
        status_after_s=settings.bank_status_after_s,
        status_max_s=settings.bank_status_max_s,
        lease_s=settings.bank_lease_s,
    )


@asynccontextmanager
async def background(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    keyring = settings.keyring()
    if not settings.bank_worker_enabled or settings.bank_url is None or keyring is None:
        why = "disabled" if not settings.bank_worker_enabled else "no bank_url" if settings.bank_url is None else "no data key"
        log.warning("bank worker not started (%s): approved refunds wait", why)
        yield
        return
    runtime = app.state.runtime
    bank = HttpBank(settings.bank_url, timeout_s=settings.bank_timeout_s)
    worker = BankWorker(runtime.sessions, runtime.store, bank, keyring, worker_config(settings))
    app.state.bank_worker = worker
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop), name="refund-bank-worker")
    try:
        yield
    finally:
        stop.set()
        await task
        await bank.aclose()
