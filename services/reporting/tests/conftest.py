"""A running reporting service for the tests: its app (lifespan started: relay and consumers) on a
fresh PostgreSQL database with real Kafka and real tokens. On the shared broker every consumer
group starts at the end of the topics (they hold other tests' events), unless the test is marked
`replay_from_beginning` (it then brings a broker of its own)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio

from eventkit.cli import build_app
from eventkit.migrations import upgrade
from eventkit.testing.offsets import start_groups_at_end
from eventkit.testing.proofs import produce
from eventkit.web.tokens import generate_keypair, issue_token
from reporting.adapters.tables import kernel
from reporting.service import SPEC
from reporting.settings import Settings

from .story import Story


@dataclass
class Service:
    client: httpx.AsyncClient
    app: Any
    private_key: str
    bootstrap: str
    db: str

    def token(self, *roles: str, sub: str = "officer-1", **claims: Any) -> dict[str, str]:
        return {"Authorization": "Bearer " + issue_token(self.private_key, sub, list(roles), **claims)}

    async def publish(self, story: Story) -> None:
        for topic, envelopes in story.topics.items():
            await produce(self.bootstrap, topic, envelopes)

    async def wait_for(self, predicate: Callable[[], Awaitable[Any]], timeout_s: float = 90) -> Any:
        deadline = time.monotonic() + timeout_s
        while True:
            value = await predicate()
            if value:
                return value
            assert time.monotonic() < deadline, "condition not reached in time"
            await asyncio.sleep(0.2)


async def running(db: str, bootstrap: str, *, from_end: bool) -> AsyncIterator[Service]:
    await asyncio.to_thread(upgrade, db, SPEC.migrations_dir)
    if from_end:
        await start_groups_at_end(db, bootstrap, kernel, SPEC.definition.subscriptions(), SPEC.definition.topic_specs(12, 1))
    private, public = generate_keypair()
    app = build_app(SPEC, Settings(database_url=db, kafka_bootstrap_servers=bootstrap, auth_jwt_public_key=public))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reporting") as client:
            yield Service(client, app, private, bootstrap, db)


@pytest_asyncio.fixture
async def service(new_pg_database: Callable[[str], str], kafka_bootstrap: str) -> AsyncIterator[Service]:
    async for s in running(new_pg_database("reporting"), kafka_bootstrap, from_end=True):
        yield s


@pytest.fixture
def story() -> Story:
    return Story().build()
