"""The simulator's HTTP API (FastAPI on uvicorn, like the platform's services, but not one of them)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from banksim import messages as m
from banksim.callbacks import Deliverer
from banksim.config import Settings
from banksim.faults import Faults
from banksim.ledger import DuplicateEndToEndId, Ledger, Transfer
from iso20022 import CreditTransferInitiation, MessageError, PaymentRemittance, ProjectRemittance, TransactionStatus

log = logging.getLogger("banksim")
ASGIApp = Callable[[dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


class Bank:
    """The simulator's state: settings, ledger, failure decisions, callback outbox."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.ledger = Ledger(settings.ledger)
        self.faults = Faults(settings.seed)
        self.deliverer = Deliverer(
            self.ledger, settings.secret, settings.callback_attempts, settings.callback_backoff_ms, settings.callback_timeout_s
        )

    def instruct(self, msg: CreditTransferInitiation) -> list[TransactionStatus]:
        """Decide every transaction of an instruction; no await in here, so checks and inserts are atomic."""
        settle_after = time.time() + self.settings.settle_delay_ms / 1000
        now = m.now_cn()
        statuses = []
        for tx in msg.transactions:
            live = self.ledger.latest_transfer(tx.end_to_end_id)
            reason = self.settings.reject_reason(tx.creditor.account, on_settle=False)
            try:
                if live is not None and live.status != "RJCT":
                    self.ledger.refuse(tx.end_to_end_id, msg.message_id, now)
                    raise DuplicateEndToEndId(tx.end_to_end_id)
                t = self.ledger.instruct(
                    e2e=tx.end_to_end_id,
                    message_id=msg.message_id,
                    payment_info_id=msg.payment_info_id,
                    amount_fen=tx.amount_fen,
                    creditor_name=tx.creditor.name,
                    creditor_account=tx.creditor.account,
                    execution_date=msg.requested_execution_date,
                    status="ACCP" if reason is None else "RJCT",
                    reason_code=reason,
                    settle_after=settle_after if reason is None else None,
                    now=now,
                )
                statuses.append(m.tx_status(t))
            except DuplicateEndToEndId:  # (the ledger's unique index raises it too, should the check above ever miss)
                log.warning("refused a second payment of end-to-end id %s (message %s)", tx.end_to_end_id, msg.message_id)
                statuses.append(
                    TransactionStatus(
                        original_end_to_end_id=tx.end_to_end_id,
                        status="RJCT",
                        reason_code="AM05",
                        original_amount_fen=tx.amount_fen,
                        reason_text="duplication: this end-to-end id was already instructed; ask GET /status",
                    )
                )
        return statuses

    def settle_due(self) -> None:
        for t in self.ledger.due_settlements(time.time()):
            reason = self.settings.reject_reason(t.creditor_account, on_settle=True)
            if reason is not None:
                self.ledger.reject_at_settlement(t, reason)
                self._status_callback(t, "RJCT", reason)
                continue
            today = m.now_cn().date()
            booking_date = max(today, date.fromisoformat(t.execution_date))
            self.ledger.settle(t, booking_date=booking_date, now=m.now_cn())
            self._status_callback(t, "ACSC", None)

    def _status_callback(self, t: Transfer, status: str, reason: str | None) -> None:
        url = self.settings.callback_url
        if url is None:
            return
        report = m.status_report(t.message_id, t.payment_info_id, [m.tx_status(t, status, reason)])
        self._enqueue(url, report, t.end_to_end_id)

    def _enqueue(self, url: str, msg: BaseModel, key: str) -> None:
        body, content_type = m.render(msg, self.settings.callback_format == "json")
        s = self.settings
        late = s.late_callback_ms / 1000 if self.faults.hit("late_callback", key, s.p_late_callback) else 0.0
        copies = 2 if self.faults.hit("duplicate_callback", key, s.p_duplicate_callback) else 1
        for _ in range(copies):
            self.ledger.enqueue_callback(url, content_type, body, time.time() + late)

    def notify(self, booking: Any) -> None:
        url = self.settings.notification_url
        if url is not None:
            self._enqueue(url, m.notification(self.settings, booking), booking.bank_reference)

    async def inject(self, request: Request, key: str, process: Callable[[], Response], *, lose_answer: bool = True) -> Response:
        """Latency and 5xx before processing; timeouts and dropped responses after it (``lose_answer``)."""
        s = self.settings
        delay = self.faults.latency_ms(key, s.latency_ms)
        if delay:
            await asyncio.sleep(delay / 1000)
        if self.faults.hit("5xx", key, s.p_5xx):
            return JSONResponse({"error": "injected failure: service unavailable"}, status_code=503)
        response = process()
        if not lose_answer:
            return response
        if self.faults.hit("timeout", key, s.p_timeout):
            await asyncio.sleep(s.timeout_s)
        elif self.faults.hit("drop", key, s.p_drop):
            abort = request.scope.get("banksim.abort")
            if abort is not None:
                abort()
                await asyncio.sleep(0.05)  # let the server see the connection lost before the answer
            else:  # another ASGI server: fail the request instead
                raise ConnectionAbortedError("injected dropped response")
        return response


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_fen: int = Field(ge=1, strict=True)  # integer fen; "12.50" or 12.5 is refused
    payer_name: str = Field(min_length=1, max_length=140)
    payer_account: str = Field(pattern=r"^[0-9A-Za-z]{1,34}$")
    credit_code: str | None = None
    fee_period: str | None = None
    insurance: str | None = None
    project_code: str | None = None  # instead of fee_period and insurance: a project's premium
    remittance: str | None = Field(default=None, max_length=140)  # raw text instead of the fields above
    end_to_end_id: str = Field(default="NOTPROVIDED", min_length=1, max_length=35)
    booking_date: date | None = None


class ReversalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bank_reference: str
    booking_date: date | None = None


def create_app(settings: Settings) -> FastAPI:
    bank = Bank(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()

        async def settle_loop() -> None:
            while not stop.is_set():
                bank.settle_due()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.05)

        tasks = [asyncio.create_task(settle_loop()), asyncio.create_task(bank.deliverer.run(stop))]
        yield
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        bank.ledger.close()

    app = FastAPI(title="banksim", description="Bank simulator of the relief platform (ISO 20022 over HTTP)", lifespan=lifespan)
    app.state.bank = bank

    @app.exception_handler(MessageError)
    async def _bad_message(request: Request, exc: MessageError) -> JSONResponse:
        return JSONResponse({"error": str(exc), "message": exc.message, "path": exc.path, "reason": exc.reason}, status_code=400)

    @app.get("/healthz")
    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/pain001")
    async def pain001(request: Request) -> Response:
        body = await request.body()
        content_type = request.headers.get("content-type")
        msg = m.parse_instruction(body, content_type)  # a malformed message is a 400, never a fault

        def process() -> Response:
            statuses = bank.instruct(msg)
            data, ctype = m.render(m.status_report(msg.message_id, msg.payment_info_id, statuses), m.wants_json(content_type))
            return Response(data, media_type=ctype)

        return await bank.inject(request, f"pain001:{msg.message_id}", process)

    @app.get("/status/{end_to_end_id}")
    async def status(end_to_end_id: str, request: Request) -> Response:
        def process() -> Response:
            t = bank.ledger.latest_transfer(end_to_end_id)
            if t is None:
                return JSONResponse({"error": f"no transfer with end-to-end id {end_to_end_id!r}"}, status_code=404)
            data, ctype = m.render(
                m.status_report(t.message_id, t.payment_info_id, [m.tx_status(t)]), m.wants_json(request.headers.get("accept"))
            )
            return Response(data, media_type=ctype)

        return await bank.inject(request, f"status:{end_to_end_id}", process, lose_answer=False)

    @app.post("/simulate/payment")
    async def simulate_payment(body: PaymentIn) -> Response:
        remittance = body.remittance
        if remittance is None and body.credit_code is not None:
            try:
                if body.project_code is not None:
                    remittance = ProjectRemittance(credit_code=body.credit_code, project_code=body.project_code).text()
                else:
                    remittance = PaymentRemittance.model_validate(
                        {"credit_code": body.credit_code, "fee_period": body.fee_period, "insurance": body.insurance}
                    ).text()
            except ValidationError as exc:
                return JSONResponse({"error": str(exc)}, status_code=422)
        booking = bank.ledger.book_payment(
            amount_fen=body.amount_fen,
            booking_date=body.booking_date or m.now_cn().date(),
            e2e=body.end_to_end_id,
            payer_name=body.payer_name,
            payer_account=body.payer_account,
            remittance=remittance,
        )
        bank.notify(booking)
        return JSONResponse(
            {"bank_reference": booking.bank_reference, "booking_date": booking.booking_date, "remittance": remittance}
        )

    @app.post("/simulate/reversal")
    async def simulate_reversal(body: ReversalIn) -> Response:
        original = bank.ledger.booking(body.bank_reference)
        if original is None or original.kind != "payment":
            return JSONResponse({"error": f"no payment with bank reference {body.bank_reference!r}"}, status_code=404)
        try:
            booking = bank.ledger.book_reversal(original, body.booking_date or m.now_cn().date())
        except sqlite3.IntegrityError:
            return JSONResponse({"error": f"payment {body.bank_reference!r} is already reversed"}, status_code=409)
        bank.notify(booking)
        return JSONResponse({"bank_reference": booking.bank_reference, "original_bank_reference": original.bank_reference})

    @app.get("/statements/{day}")
    async def statement(day: date, request: Request) -> Response:
        opening = settings.opening_balance_fen + bank.ledger.balance_before(day)
        stmt = m.statement(settings, day, opening, bank.ledger.bookings_on(day))
        data, ctype = m.render(stmt, m.wants_json(request.headers.get("accept")))
        return Response(data, media_type=ctype)

    @app.get("/ledger/summary")
    async def summary() -> dict[str, Any]:
        return {**bank.ledger.summary(), "injected": dict(bank.faults.injected)}

    @app.get("/metrics")
    async def metrics() -> PlainTextResponse:
        lines = [f"banksim_{k} {v}" for k, v in bank.ledger.summary().items()]
        lines += [f'banksim_injected_total{{kind="{k}"}} {v}' for k, v in sorted(bank.faults.injected.items())]
        return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")

    return app


def with_abort(app: ASGIApp) -> ASGIApp:
    """Expose the connection's ``abort`` to the routes (``scope["banksim.abort"]``), so that a
    dropped response closes the TCP connection without an answer (uvicorn's h11/httptools cycles
    carry the transport on their ``send``)."""

    async def wrapped(
        scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]
    ) -> None:
        if scope["type"] == "http":
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            if transport is not None:
                scope = {**scope, "banksim.abort": transport.abort}
        await app(scope, receive, send)

    return wrapped
