"""The bank worker: approved refunds go to the bank, unanswered ones are asked about, never sent anew.

Per round, the worker claims due refunds from the read model (a lease in `rf_bank_work`, so that
several instances share the work) and, for each, reloads the payer's ledger and does what
`bank_actions` says:

* **send** (approved, not yet instructed): build the pain.001 (end-to-end id = refund id), record
  `RefundInstructed` with the sealed bytes and their hash *before* sending (committed), then send
  those bytes. If two workers race, the second append fails on the stream version and it sends
  nothing;
* **check** (instructed or accepted): ask the bank for the status of the end-to-end id. If the bank
  never received this attempt (404, or it only knows an older attempt), the stored bytes are
  re-sent unchanged — same message id, same end-to-end id; otherwise its status is recorded;
* a timeout, a dropped connection or a 5xx is no answer: the refund is looked at again later
  (doubling from `status_after_s` to `status_max_s`), and the next look is a status query.

A crash anywhere leaves either an approved refund (sent on the next round) or an instructed one
(checked on the next round, re-sent only if the bank never got it): the money is instructed under
one end-to-end id, and the bank refuses a second payment of it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eventkit.commands import retrying
from eventkit.crypto import Keyring, Sealed
from eventkit.db import upsert_insert
from eventkit.store import EventStore
from eventkit.workers import run_rounds
from iso20022 import Party, PaymentStatusReport
from refund.adapters.bank_port import BankPort, BankRefused, BankUnavailable, credit_transfer
from refund.adapters.refunds import IN_FLIGHT
from refund.adapters.tables import bank_work, refunds
from refund.application.bank_status import CN, is_duplicate_instruction, record_one
from refund.application.dues import load_ledger
from refund.domain.bank_actions import SEND, next_action
from refund.domain.events import ACCOUNT_CONTEXT, RefundInstructed, ledger_stream
from refund.domain.issues import Conflict
from refund.domain.refunds import INSTRUCTED, RefundState, instruct, payee_of, refund_of

log = logging.getLogger(__name__)
T = TypeVar("T")
PAYLOAD_CONTEXT = "refund/pain001"
CALLS = Counter("refund_bank_calls_total", "Calls to the bank by the refund worker, by call and outcome", ["call", "outcome"])


@dataclass(frozen=True)
class WorkerConfig:
    debtor_account: str
    debtor_name: str
    debtor_agent: str
    batch: int = 50
    concurrency: int = 8
    poll_s: float = 0.5
    status_after_s: float = 2.0
    status_max_s: float = 60.0
    lease_s: float = 60.0


def _now() -> datetime:
    return datetime.now(UTC)


class BankWorker:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        store: EventStore,
        bank: BankPort,
        keyring: Keyring,
        config: WorkerConfig,
    ) -> None:
        self.sessions, self.store, self.bank, self.keyring, self.config = sessions, store, bank, keyring, config
        self._limit = asyncio.Semaphore(config.concurrency)

    async def run(self, stop: asyncio.Event) -> None:
        await run_rounds(self.round, stop, idle_s=self.config.poll_s, name="bank worker")

    async def round(self) -> int:
        claimed = await self._claim()
        await asyncio.gather(*(self._guarded(refund_id, code, tries) for refund_id, code, tries in claimed))
        return len(claimed)

    # ---- the schedule -------------------------------------------------------------------------
    async def _claim(self) -> list[tuple[str, str, int]]:
        now, r, w = _now(), refunds, bank_work
        q = (
            sa.select(r.c.refund_id, r.c.credit_code, sa.func.coalesce(w.c.tries, 0))
            .select_from(r.outerjoin(w, w.c.refund_id == r.c.refund_id))
            .where(r.c.status.in_(IN_FLIGHT), r.c.flagged.is_(False))
            .where(sa.or_(w.c.refund_id.is_(None), sa.and_(w.c.due_at <= now, sa.or_(w.c.lease_until.is_(None), w.c.lease_until < now))))
            .order_by(sa.func.coalesce(w.c.due_at, r.c.updated_at))
            .limit(self.config.batch)
        )  # fmt: skip
        lease = now + timedelta(seconds=self.config.lease_s)
        out = []
        async with self.sessions() as session, session.begin():
            for refund_id, code, tries in (await session.execute(q)).all():
                inserted = await session.execute(
                    upsert_insert(session, w)
                    .values(refund_id=refund_id, due_at=now, tries=0, lease_until=lease)
                    .on_conflict_do_nothing(index_elements=[w.c.refund_id])
                )
                if not inserted.rowcount:
                    taken = await session.execute(
                        sa.update(w)
                        .where(w.c.refund_id == refund_id, w.c.due_at <= now)
                        .where(sa.or_(w.c.lease_until.is_(None), w.c.lease_until < now))
                        .values(lease_until=lease)
                    )
                    if not taken.rowcount:
                        continue  # another worker holds it
                out.append((refund_id, code, tries))
        return out

    async def _reschedule(self, refund_id: str, tries: int, error: str | None = None) -> None:
        delay = min(self.config.status_max_s, self.config.status_after_s * 2 ** min(tries, 16))
        async with self.sessions() as session, session.begin():
            await session.execute(
                sa.update(bank_work)
                .where(bank_work.c.refund_id == refund_id)
                .values(due_at=_now() + timedelta(seconds=delay), tries=tries + 1, lease_until=None, last_error=error)
            )

    async def _done(self, refund_id: str) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(sa.delete(bank_work).where(bank_work.c.refund_id == refund_id))

    # ---- one refund ---------------------------------------------------------------------------
    async def _guarded(self, refund_id: str, credit_code: str, tries: int) -> None:
        async with self._limit:
            try:
                await self.work_on(refund_id, credit_code, tries)
            except (BankUnavailable, BankRefused) as exc:
                CALLS.labels("any", type(exc).__name__).inc()
                log.warning("refund %s: no usable answer from the bank (%s); asking again later", refund_id, exc)
                await self._reschedule(refund_id, tries, str(exc)[:500])
            except Exception as exc:
                log.exception("refund %s: bank work failed", refund_id)
                await self._reschedule(refund_id, tries, f"{type(exc).__name__}: {exc}"[:500])

    async def _state(self, credit_code: str, refund_id: str) -> RefundState:
        async with self.sessions() as session:
            ledger, _ = await load_ledger(session, self.store, credit_code)
        return refund_of(ledger, refund_id)

    async def work_on(self, refund_id: str, credit_code: str, tries: int) -> None:
        state = await self._state(credit_code, refund_id)
        if state.flagged or state.status not in IN_FLIGHT:
            await self._done(refund_id)  # final, or waiting for an officer
            return
        if next_action(state).kind == SEND:
            payload = await self._instruct(credit_code, refund_id)
            if payload is not None:
                await self._answered(await self._send(payload), refund_id, credit_code)
        else:
            await self._check(credit_code, refund_id, state)
        state = await self._state(credit_code, refund_id)
        if state.status in IN_FLIGHT and not state.flagged:
            await self._reschedule(refund_id, tries)
        else:
            await self._done(refund_id)

    async def _instruct(self, credit_code: str, refund_id: str) -> bytes | None:
        """Record the instruction with its sealed bytes (committed) and return the bytes to send;
        None if another worker instructed it first."""
        message_id = f"M{uuid.uuid4().hex}"
        now = datetime.now(CN).replace(microsecond=0)
        payload: bytes | None = None

        async def command(session: AsyncSession) -> None:
            nonlocal payload
            ledger, version = await load_ledger(session, self.store, credit_code)
            state, payee = refund_of(ledger, refund_id), payee_of(ledger, refund_id)
            c = self.config
            data = credit_transfer(
                message_id=message_id, refund_id=refund_id, amount_fen=state.amount_fen, payee_name=payee.account_name,
                payee_account=payee.account.open(self.keyring, ACCOUNT_CONTEXT),
                debtor=Party(name=c.debtor_name, account=c.debtor_account), debtor_agent=c.debtor_agent,
                initiating_party=c.debtor_name, now=now, execution_date=now.date(), remittance=f"/REFUND/{refund_id}",
            )  # fmt: skip
            events = instruct(ledger, refund_id, message_id, hashlib.sha256(data).hexdigest())
            sealed = seal_payload(data, self.keyring)
            events = [e.model_copy(update={"payload": sealed}) for e in events]
            await self.store.append(session, ledger_stream(credit_code), version, events, subject=credit_code)
            payload = data if events else None

        try:
            await retrying(self.sessions, command)
        except Conflict as exc:  # instructed by another worker meanwhile: its bytes, its send
            log.info("refund %s: %s", refund_id, exc)
            return None
        return payload

    async def _check(self, credit_code: str, refund_id: str, state: RefundState) -> None:
        report = await self._status(refund_id)
        current = state.attempt.message_id
        if report is None or report.original_message_id != current:
            if state.status == INSTRUCTED:  # the bank never received this attempt: the same bytes again
                async with self.sessions() as session:
                    ledger, _ = await load_ledger(session, self.store, credit_code)
                payload = stored_payload(payee_of(ledger, refund_id).instructed, self.keyring)
                CALLS.labels("resend", "stored_bytes").inc()
                await self._answered(await self._send(payload), refund_id, credit_code)
            return
        await self._answered(report, refund_id, credit_code)

    async def _answered(self, report: PaymentStatusReport, refund_id: str, credit_code: str) -> None:
        for tx in report.transactions:
            if tx.original_end_to_end_id != refund_id:
                continue
            if is_duplicate_instruction(tx):
                continue  # the bank holds an instruction of it already: the next look asks its status
            await record_one(self.sessions, self.store, report, tx, credit_code)

    async def _send(self, payload: bytes) -> PaymentStatusReport:
        return await _counted("send", self.bank.send(payload))

    async def _status(self, end_to_end_id: str) -> PaymentStatusReport | None:
        return await _counted("status", self.bank.status(end_to_end_id))


async def _counted(call: str, op: Awaitable[T]) -> T:
    try:
        result = await op
    except BankUnavailable:
        CALLS.labels(call, "unavailable").inc()
        raise
    CALLS.labels(call, "answered" if result is not None else "unknown_to_bank").inc()
    return result


def seal_payload(data: bytes, keyring: Keyring) -> Sealed:
    return Sealed.seal(data.decode("utf-8"), keyring, PAYLOAD_CONTEXT, mask=lambda text: f"pain.001, {len(text.encode())} bytes")


def stored_payload(instructed: RefundInstructed | None, keyring: Keyring) -> bytes:
    """The exact bytes of an instruction, checked against the hash recorded with it."""
    if instructed is None or instructed.payload is None:
        raise RuntimeError("the instruction's bytes were not stored")
    data = instructed.payload.open(keyring, PAYLOAD_CONTEXT).encode("utf-8")
    if hashlib.sha256(data).hexdigest() != instructed.payload_sha256:
        raise RuntimeError("the stored instruction does not match its recorded hash")
    return data
