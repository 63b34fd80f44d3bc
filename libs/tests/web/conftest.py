"""A small service built with create_app, used by every web test, and its fixtures.

Routes: POST /v1/things (idempotent command writing rows of `things`), GET /v1/things/{thing_id},
GET /v1/payers/{credit_code} (payer scope), GET /v1/officer-only, GET /v1/context (what the
handler sees in eventkit.context), GET /v1/explode (unhandled error), GET /v1/conflict
(ConcurrencyError).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eventkit import context
from eventkit.db import make_engine, make_sessionmaker
from eventkit.errors import ConcurrencyError
from eventkit.schema import kernel_tables
from eventkit.settings import ServiceSettings
from eventkit.web import (
    OFFICER,
    PAYER,
    Idempotency,
    Principal,
    Problem,
    Reply,
    create_app,
    ensure_payer_scope,
    idempotency,
    public,
    require_roles,
)
from eventkit.web.tokens import generate_keypair, issue_token

metadata = sa.MetaData()
kernel = kernel_tables(metadata)
things = sa.Table(
    "things",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
)

CREDIT_CODE = "91320600MA1XXXXXX0"
OTHER_CREDIT_CODE = "91110000100000000X"


class LineIn(BaseModel):
    base_fen: int = Field(ge=0)


class ThingIn(BaseModel):
    name: str
    lines: list[LineIn] = []


@dataclass
class Controls:
    """Knobs the tests turn on the test app's command."""

    calls: int = 0
    conflicts: int = 0  # optimistic-concurrency conflicts to raise before succeeding
    fail_times: int = 0  # the next N commands raise RuntimeError (a 5xx)
    gate: asyncio.Event | None = None  # when set, the command waits on it after writing
    entered: asyncio.Event = field(default_factory=asyncio.Event)


def build_router(controls: Controls) -> APIRouter:
    router = APIRouter()

    @router.post("/v1/things", dependencies=[Depends(require_roles(PAYER, OFFICER))])
    async def create_thing(body: ThingIn, idem: Idempotency = Depends(idempotency)) -> Response:
        async def command(session: AsyncSession) -> tuple[int, Any] | Reply:
            controls.calls += 1
            await session.execute(sa.insert(things).values(name=body.name))
            if controls.fail_times > 0:
                controls.fail_times -= 1
                raise RuntimeError("database exploded with secret 6222020200001234")
            if controls.conflicts > 0:
                controls.conflicts -= 1
                raise ConcurrencyError("thing-1", 0, 1)
            if body.name == "taken":
                raise Problem(409, "that name is taken", slug="name-taken")
            if controls.gate is not None:
                controls.entered.set()
                await controls.gate.wait()
            count = (await session.execute(sa.select(sa.func.count()).select_from(things))).scalar_one()
            return Reply(201, {"name": body.name, "count": count}, {"Location": f"/v1/things/{count}"})

        return await idem.run(command)

    @router.get("/v1/things/{thing_id}", dependencies=[Depends(require_roles(PAYER, OFFICER))])
    async def get_thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    @router.get("/v1/payers/{credit_code}")
    async def get_payer(credit_code: str, principal: Principal = Depends(require_roles(PAYER, OFFICER))) -> dict[str, str]:
        ensure_payer_scope(principal, credit_code)
        return {"credit_code": credit_code}

    @router.get("/v1/officer-only", dependencies=[Depends(require_roles(OFFICER))])
    async def officer_only() -> dict[str, bool]:
        return {"ok": True}

    @router.get("/v1/context", dependencies=[Depends(require_roles(PAYER))])
    async def show_context() -> dict[str, str | None]:
        ctx = context.current()
        return {
            "request_id": ctx.request_id,
            "correlation_id": ctx.correlation_id,
            "traceparent": ctx.traceparent,
            "actor": ctx.actor,
        }

    @router.get("/v1/explode", dependencies=[Depends(public())])
    async def explode() -> None:
        raise RuntimeError("secret internals 110105199001011234")

    @router.get("/v1/conflict", dependencies=[Depends(public())])
    async def conflict() -> None:
        raise ConcurrencyError("thing-1", 3, 4)

    return router


@dataclass
class Harness:
    app: FastAPI
    client: httpx.AsyncClient
    sessions: async_sessionmaker[AsyncSession]
    controls: Controls
    private_pem: str

    def token(self, *roles: str, sub: str = "alice", payer: str | None = None, **kw: Any) -> dict[str, str]:
        return {"Authorization": "Bearer " + issue_token(self.private_pem, sub, list(roles), payer, **kw)}

    async def count_things(self) -> int:
        async with self.sessions() as s:
            return int((await s.execute(sa.select(sa.func.count()).select_from(things))).scalar_one())


HarnessFactory = Callable[..., Awaitable[Harness]]


@pytest.fixture(scope="session")
def keypair() -> tuple[str, str]:
    return generate_keypair()


@pytest_asyncio.fixture
async def make_harness(keypair: tuple[str, str], tmp_path: Path) -> AsyncIterator[HarnessFactory]:
    engines: list[Any] = []
    clients: list[httpx.AsyncClient] = []

    async def make(database_url: str | None = None, **settings: Any) -> Harness:
        url = database_url or f"sqlite+aiosqlite:///{tmp_path / 'web.db'}"
        engine = make_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        sessions = make_sessionmaker(engine)
        engines.append(engine)
        config = ServiceSettings(service_name="webtest", database_url=url, auth_jwt_public_key=keypair[1], **settings)
        controls = Controls()
        app = create_app(config, sessions=sessions, routers=[build_router(controls)])
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        clients.append(client)
        return Harness(app, client, sessions, controls, keypair[0])

    yield make
    for client in clients:
        await client.aclose()
    for engine in engines:
        await engine.dispose()


@pytest_asyncio.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    result: Harness = await make_harness()
    return result


@pytest_asyncio.fixture
async def sessions_for_app(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on an empty SQLite file, for apps built inside a test."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'bare.db'}")
    yield make_sessionmaker(engine)
    await engine.dispose()
