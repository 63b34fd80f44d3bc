"""Bulk intake: record an upload, then apply it row by row, exactly once per row.

Each row runs in its own transaction: the declaration's events (or nothing, when refused) and the
row's result event on the upload stream commit together, so a crash resumes at the first row
without a result, and no row is declared twice. The upload stream is appended at versions this
worker counts itself (it is the stream's only writer), never reloaded per row.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from declaration.adapters.tables import upload_documents
from declaration.application import commands
from declaration.application.commands import Deps
from declaration.domain import bulk
from declaration.domain.events import (
    DeclarationUploadCompleted,
    DeclarationUploadReceived,
    DeclarationUploadRowAccepted,
    DeclarationUploadRowRejected,
    RowError,
    UploadScope,
)
from declaration.domain.issues import Conflict, Issue, NotFound, Rejected
from eventkit.errors import ConcurrencyError
from eventkit.events import Event

log = logging.getLogger(__name__)
Authorize = Callable[[str, str | None], Issue | None]  # (credit code, payer's region) → refusal or None


def upload_stream(upload_id: str) -> str:
    return f"upload-{upload_id}"


@dataclass(frozen=True)
class Scope:
    """Who uploaded: rows may only declare for payers this principal may write for."""

    sub: str
    roles: tuple[str, ...]
    payer: str | None
    region: str | None


async def receive(session: AsyncSession, deps: Deps, upload_id: str, fmt: str, content: bytes, scope: Scope) -> int:
    rows = bulk.parse(fmt, content)
    digest = hashlib.sha256(content).hexdigest()
    await session.execute(sa.insert(upload_documents).values(upload_id=upload_id, sha256=digest, format=fmt, content=content))
    event = DeclarationUploadReceived(
        upload_id=upload_id,
        format=fmt,
        rows=len(rows),
        sha256=digest,
        submitted_by=scope.sub,
        scope=UploadScope(roles=scope.roles, payer=scope.payer, region=scope.region),
    )
    await deps.store.append(session, upload_stream(upload_id), 0, [event], subject=upload_id)
    return len(rows)


def scope_of(event: DeclarationUploadReceived) -> Scope:
    return Scope(event.submitted_by, event.scope.roles, event.scope.payer, event.scope.region)


async def process(
    sessions: async_sessionmaker[AsyncSession], deps: Deps, upload_id: str, authorize: Callable[[Scope], Authorize]
) -> None:
    """Apply the rows not applied yet. On PostgreSQL a session advisory lock keeps a second
    worker (another replica resuming the same upload) out; it returns at once if it loses."""
    async with sessions() as lock_session:
        if lock_session.get_bind().dialect.name != "postgresql":
            await _process(sessions, deps, upload_id, authorize)
            return
        key = int(hashlib.sha256(upload_id.encode()).hexdigest()[:15], 16)
        if not await lock_session.scalar(sa.select(sa.func.pg_try_advisory_lock(key))):
            return
        try:
            await _process(sessions, deps, upload_id, authorize)
        finally:  # session-level: it would outlive the session on its pooled connection
            await lock_session.execute(sa.select(sa.func.pg_advisory_unlock(key)))


async def _process(
    sessions: async_sessionmaker[AsyncSession], deps: Deps, upload_id: str, authorize: Callable[[Scope], Authorize]
) -> None:
    async with sessions() as session:
        history = [m.event for m in await deps.store.load(session, upload_stream(upload_id))]
        document = (await session.execute(sa.select(upload_documents).where(upload_documents.c.upload_id == upload_id))).one()
    received = history[0]
    assert isinstance(received, DeclarationUploadReceived)
    if any(isinstance(e, DeclarationUploadCompleted) for e in history):
        return
    done = {e.row for e in history if isinstance(e, DeclarationUploadRowAccepted | DeclarationUploadRowRejected)}
    accepted = sum(isinstance(e, DeclarationUploadRowAccepted) for e in history)
    rejected = sum(isinstance(e, DeclarationUploadRowRejected) for e in history)
    version = len(history)
    may = authorize(scope_of(received))
    for row in bulk.parse(document.format, bytes(document.content)):
        if row.number in done:
            continue
        result = await _apply_row(sessions, deps, upload_id, row, version, may)
        version += 1
        accepted += isinstance(result, DeclarationUploadRowAccepted)
        rejected += isinstance(result, DeclarationUploadRowRejected)
    async with sessions() as session, session.begin():
        done_event = DeclarationUploadCompleted(upload_id=upload_id, accepted=accepted, rejected=rejected)
        await deps.store.append(session, upload_stream(upload_id), version, [done_event], subject=upload_id)
    log.info("upload %s done: %d accepted, %d rejected", upload_id, accepted, rejected)


async def _apply_row(
    sessions: async_sessionmaker[AsyncSession], deps: Deps, upload_id: str, row: bulk.Row, version: int, may: Authorize
) -> Event:
    for attempt in range(5):
        refusal: list[Issue] = list(row.issues)
        try:
            async with sessions() as session, session.begin():
                if not refusal and row.credit_code is not None and row.declaration is not None:
                    try:
                        payer = await commands.load_payer(session, deps, row.credit_code)
                        denied = may(row.credit_code, payer.profile.region if payer.profile else None)
                        if denied is not None:
                            raise Rejected([denied])
                        declared = await commands.declare(
                            session,
                            deps,
                            row.credit_code,
                            row.declaration,
                            correction_reason=row.correction_reason,
                            upload=(upload_id, row.number),
                        )
                        event: Event = DeclarationUploadRowAccepted(
                            upload_id=upload_id,
                            row=row.number,
                            declaration_id=declared.content.declaration_id,
                            revision=declared.content.revision,
                        )
                        await deps.store.append(session, upload_stream(upload_id), version, [event], subject=upload_id)
                        return event
                    except Rejected as exc:
                        refusal = exc.issues
                    except Conflict as exc:
                        refusal = [Issue("(state)", exc.code, exc.zh, exc.en)]
                    except NotFound as exc:
                        refusal = [Issue("credit_code", f"{exc.what}.not_found", exc.zh, exc.en)]
            # refused: nothing of the declaration was written; record why, in a transaction of its own
            async with sessions() as session, session.begin():
                event = DeclarationUploadRowRejected(
                    upload_id=upload_id,
                    row=row.number,
                    credit_code=row.credit_code,
                    errors=tuple(RowError(field=i.field, code=i.code, reason=i.en, reason_zh=i.zh) for i in refusal),
                )
                await deps.store.append(session, upload_stream(upload_id), version, [event], subject=upload_id)
                return event
        except ConcurrencyError:
            # another writer touched the payer's declaration stream meanwhile: decide again
            await asyncio.sleep(0.01 * (attempt + 1))
    raise RuntimeError(f"upload {upload_id} row {row.number}: gave up after repeated conflicts")
