"""`Idempotency-Key` for commands: a retried POST gets the first answer, never a second effect.

A route takes `idem: Idempotency = Depends(idempotency)` and hands its effects to `idem.run`:

    @router.post("/v1/declarations", status_code=201, dependencies=[Depends(require_roles(PAYER))])
    async def declare(body: DeclarationIn, idem: Idempotency = Depends(idempotency)) -> Response:
        async def command(session: AsyncSession) -> tuple[int, Any]:
            events = decide(...)
            await store.append(session, events)        # effects, in the session's transaction
            return 201, {"declaration_id": ...}
        return await idem.run(command)

Semantics, per (principal, key), rows in the kernel table es_idempotency_keys:
- first request: a marker row `in_flight` is committed on its own, then the command runs and the
  row becomes `done` with the response **in the command's own transaction**;
- same key, same method + path + canonical JSON body: the stored response is replayed (status,
  body, headers) with `Idempotent-Replayed: true`;
- same key, different request: 422 problem naming the `Idempotency-Key` header;
- same key while the first is still running: 409 problem (Retry-After), unless the marker is older
  than the lease (`idempotency_lease_s`), when the first attempt is presumed dead and taken over;
- an optimistic-concurrency conflict (another writer moved the stream on) runs the command
  again on fresh state, a few times (`attempts`), in a new transaction;
- a 4xx Problem (or HTTPException) from the command is stored and replayed like a success; a
  5xx, an unhandled error or a conflict that outlasts the attempts deletes the marker so a retry
  runs the command afresh.
Without the header, `run` just executes the command in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio
import sqlalchemy as sa
from fastapi import Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from eventkit.commands import retrying
from eventkit.db import transaction
from eventkit.schema import kernel_tables
from eventkit.web.problems import FieldError, Problem, problem_from_http_exception, problem_response

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_FIELD = f"header.{HEADER}"
_IN_FLIGHT, _DONE = "in_flight", "done"
_KEYS = kernel_tables(sa.MetaData()).idempotency_keys

log = logging.getLogger("eventkit.web.idempotency")


@dataclass(frozen=True)
class Reply:
    """What a command answers: status, a JSON-able body (None for no body) and extra headers."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


CommandResult = tuple[int, Any] | Reply
Command = Callable[[AsyncSession], Awaitable[CommandResult]]


class _ClaimLost(Exception):
    """Our in-flight marker was taken over (our lease ran out) or removed while we worked."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _as_utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes (what we wrote, in UTC); PostgreSQL aware ones.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """sha256 of method, path (with query) and the body, JSON canonicalised when it parses."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def render(result: CommandResult) -> Response:
    reply = result if isinstance(result, Reply) else Reply(result[0], result[1])
    if reply.body is None:
        return Response(status_code=reply.status, headers=dict(reply.headers))
    return JSONResponse(jsonable_encoder(reply.body), status_code=reply.status, headers=dict(reply.headers))


def _stored_headers(response: Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower() != "content-length"}


class Idempotency:
    """Runs one command at most once per idempotency key (see the module docstring)."""

    def __init__(
        self,
        *,
        request: Request,
        sessions: async_sessionmaker[AsyncSession],
        key: str | None,
        principal: str,
        fingerprint: str,
        lease_s: float,
        attempts: int = 5,
    ) -> None:
        self.request = request
        self.sessions = sessions
        self.key = key
        self.principal = principal
        self.fingerprint = fingerprint
        self.lease_s = lease_s
        self.attempts = attempts  # decisions made again after an optimistic-concurrency conflict

    def _row(self) -> sa.ColumnElement[bool]:
        return sa.and_(_KEYS.c.principal == self.principal, _KEYS.c.key == self.key)

    async def run(self, command: Command) -> Response:
        if self.key is None:
            return await self._decide(command, None)
        claim = await self._reserve()
        if isinstance(claim, Response):
            return claim
        try:
            return await self._decide(command, claim)
        except _ClaimLost:
            raise self._lost() from None
        except (Problem, StarletteHTTPException) as exc:
            problem = exc if isinstance(exc, Problem) else problem_from_http_exception(exc)
            if problem.status >= 500:
                await self._release(claim)
                raise
            response = problem_response(self.request, problem)
            try:
                async with transaction(self.sessions) as session:
                    await self._complete(session, claim, response)
            except _ClaimLost:
                raise self._lost() from None
            except BaseException:
                await self._release(claim)
                raise
            return response
        except BaseException:
            # 5xx, ConcurrencyError, cancellation: nothing was committed, let a retry run.
            await self._release(claim)
            raise

    async def _decide(self, command: Command, claim: datetime | None) -> Response:
        """Run the command in a transaction (completing the claim in it), deciding again on fresh
        state after an optimistic-concurrency conflict (eventkit.commands.retrying)."""

        async def attempt(session: AsyncSession) -> Response:
            response = render(await command(session))
            if claim is not None:
                await self._complete(session, claim, response)
            return response

        return await retrying(self.sessions, attempt, attempts=self.attempts)

    async def _reserve(self) -> datetime | Response:
        """Commit our in-flight marker and return its timestamp (our claim), or the replay."""
        for _attempt in range(3):
            now = _utcnow()
            try:
                async with transaction(self.sessions) as session:
                    await session.execute(
                        sa.insert(_KEYS).values(
                            principal=self.principal,
                            key=self.key,
                            method=self.request.method,
                            path=self.request.url.path[:500],
                            request_hash=self.fingerprint,
                            state=_IN_FLIGHT,
                            created_at=now,
                        )
                    )
                return now
            except IntegrityError:
                pass
            async with transaction(self.sessions) as session:
                row = (await session.execute(sa.select(_KEYS).where(self._row()))).first()
                if row is None:
                    continue  # released between our insert and this read: try again
                if row.request_hash != self.fingerprint:
                    raise Problem(
                        422,
                        f"this {HEADER} was already used for a different request",
                        slug="idempotency-key-reused",
                        errors=[FieldError(_FIELD, "already used with another method, path or body")],
                    )
                if row.state == _DONE:
                    return self._replay(row)
                age = (now - _as_utc(row.created_at)).total_seconds()
                if age < self.lease_s:
                    raise self._in_flight()
                # The first attempt outlived its lease (crashed or hung): take it over. The
                # compare-and-set on created_at makes exactly one of several retries win, and
                # makes the old attempt's own completion fail (see _complete).
                taken = await session.execute(
                    sa.update(_KEYS)
                    .where(self._row(), _KEYS.c.state == _IN_FLIGHT, _KEYS.c.created_at == row.created_at)
                    .values(created_at=now)
                )
                if taken.rowcount == 1:
                    log.warning("idempotency key taken over after %.1fs", age, extra={"idempotency_key": self.key})
                    return now
                raise self._in_flight()
        raise self._in_flight()

    async def _complete(self, session: AsyncSession, claim: datetime, response: Response) -> None:
        done = await session.execute(
            sa.update(_KEYS)
            .where(self._row(), _KEYS.c.state == _IN_FLIGHT, _KEYS.c.created_at == claim)
            .values(
                state=_DONE,
                status_code=response.status_code,
                response_body=bytes(response.body),
                response_headers=_stored_headers(response),
                completed_at=_utcnow(),
            )
        )
        if done.rowcount != 1:
            raise _ClaimLost()

    async def _release(self, claim: datetime) -> None:
        # Shielded: a cancelled request must still free its key. Should this fail too (database
        # away), the lease lets a later retry take the key over.
        with anyio.CancelScope(shield=True):
            try:
                async with transaction(self.sessions) as session:
                    await session.execute(
                        sa.delete(_KEYS).where(self._row(), _KEYS.c.state == _IN_FLIGHT, _KEYS.c.created_at == claim)
                    )
            except Exception:
                log.exception("could not release idempotency key", extra={"idempotency_key": self.key})

    def _replay(self, row: sa.Row[Any]) -> Response:
        headers = dict(row.response_headers or {})
        headers[REPLAYED_HEADER] = "true"
        return Response(content=row.response_body or b"", status_code=row.status_code, headers=headers)

    def _in_flight(self) -> Problem:
        return Problem(
            409,
            f"a request with this {HEADER} is still being processed; retry later",
            slug="idempotency-in-flight",
            headers={"Retry-After": "1"},
        )

    def _lost(self) -> Problem:
        return Problem(
            409,
            f"this request outlived its {HEADER} lease and a retry took it over; its effects were rolled back",
            slug="idempotency-in-flight",
        )


def _principal_scope(request: Request) -> str:
    """Keys are per caller: the authenticated subject, else `anonymous`."""
    principal = getattr(request.state, "principal", None)
    sub = getattr(principal, "sub", None)
    if sub is None:
        authenticator = getattr(request.app.state, "authenticator", None)
        header = request.headers.get("authorization", "")
        if authenticator is not None and header[:7].lower() == "bearer ":
            try:
                sub = authenticator.verify(header[7:].strip()).sub
            except Problem:
                sub = None
    if not isinstance(sub, str):
        return "anonymous"
    return sub if len(sub) <= 200 else "sha256:" + hashlib.sha256(sub.encode()).hexdigest()


def _check_key(key: str) -> None:
    if not 1 <= len(key) <= 200 or not all(0x21 <= ord(c) <= 0x7E for c in key):
        raise Problem(
            422,
            f"the {HEADER} header must be 1 to 200 visible ASCII characters",
            slug="validation-failed",
            errors=[FieldError(_FIELD, "must be 1 to 200 visible ASCII characters (a UUID is a good choice)")],
        )


async def idempotency(
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias=HEADER, description="A unique key per command; retries reuse it")] = None,
) -> Idempotency:
    """FastAPI dependency: the Idempotency for this request (sessions from app.state.sessions)."""
    if idempotency_key is not None:
        _check_key(idempotency_key)
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Idempotency(
        request=request,
        sessions=request.app.state.sessions,
        key=idempotency_key,
        principal=_principal_scope(request),
        fingerprint=request_fingerprint(request.method, path, await request.body()),
        lease_s=float(getattr(request.app.state, "idempotency_lease_s", 60.0)),
    )


async def purge_keys(sessions: async_sessionmaker[AsyncSession], *, older_than: datetime) -> int:
    """Delete completed keys created before `older_than` (clients retry within hours, not months)."""
    async with transaction(sessions) as session:
        result = await session.execute(sa.delete(_KEYS).where(_KEYS.c.state == _DONE, _KEYS.c.created_at < older_than))
    return int(result.rowcount)
