"""A running classification service for the API tests: its app (lifespan started: relay and
consumers running) on a fresh PostgreSQL database, with real Kafka, real keys and tokens."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from classification.adapters.tables import kernel
from classification.service import SPEC
from classification.settings import Settings
from eventkit.cli import build_app
from eventkit.crypto import Keyring
from eventkit.migrations import upgrade
from eventkit.testing.offsets import start_groups_at_end
from eventkit.web.tokens import generate_keypair, issue_token
from refdata.codes import make_credit_code

_RUN = secrets.randbelow(10**4)


def credit_code(n: int, region: str = "510400") -> str:
    """A valid 统一社会信用代码 for test payer n, unique to this run (the broker keeps earlier runs)."""
    return make_credit_code(f"91{region}MA{_RUN:04d}{n:03d}")


@dataclass
class Service:
    client: httpx.AsyncClient
    app: Any
    private_key: str
    keyring: Keyring
    bootstrap: str

    def token(self, *roles: str, sub: str = "tester", payer: str | None = None) -> dict[str, str]:
        return {"Authorization": "Bearer " + issue_token(self.private_key, sub, list(roles), payer=payer)}

    async def wait_for(self, predicate: Callable[[], Awaitable[Any]], timeout_s: float = 30) -> Any:
        deadline = time.monotonic() + timeout_s
        while True:
            value = await predicate()
            if value:
                return value
            assert time.monotonic() < deadline, "condition not reached in time"
            await asyncio.sleep(0.1)


@pytest_asyncio.fixture
async def service(
    request: pytest.FixtureRequest, new_pg_database: Callable[[str], str], kafka_bootstrap: str, tmp_path: Path
) -> AsyncIterator[Service]:
    db = new_pg_database("classification")
    await asyncio.to_thread(upgrade, db, SPEC.migrations_dir)
    if not request.node.get_closest_marker("replay_from_beginning"):
        # the session broker holds earlier tests' events: this service reads only what follows
        await start_groups_at_end(
            db, kafka_bootstrap, kernel, SPEC.definition.subscriptions(), SPEC.definition.topic_specs(12, 1)
        )
    private, public = generate_keypair()
    keyring = Keyring.generate()
    key_file = tmp_path / "data.key"
    keyring.write(key_file)
    settings = Settings(
        database_url=db, kafka_bootstrap_servers=kafka_bootstrap, auth_jwt_public_key=public, data_key_file=str(key_file)
    )
    app = build_app(SPEC, settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://classification") as client:
            yield Service(client, app, private, keyring, kafka_bootstrap)


@pytest.fixture
def code() -> Callable[..., str]:
    return credit_code
