"""A running subscriptions service for the tests: its app (lifespan started: relay, consumers and
the delivery worker) on a fresh PostgreSQL database, with real Kafka, real keys and tokens, and
private callbacks allowed (the receivers listen on 127.0.0.1)."""

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

from eventkit.cli import build_app
from eventkit.crypto import Keyring
from eventkit.envelope import Envelope
from eventkit.events import Event, new_envelope
from eventkit.migrations import upgrade
from eventkit.testing.offsets import start_groups_at_end
from eventkit.testing.proofs import produce
from eventkit.web.tokens import generate_keypair, issue_token
from refdata.codes import make_credit_code
from subscriptions.adapters.tables import kernel
from subscriptions.service import SPEC
from subscriptions.settings import Settings

_RUN = secrets.randbelow(10**4)


def credit_code(n: int) -> str:
    return make_credit_code(f"91320600MA{_RUN:04d}{n:03d}")


def public_envelope(event: Event, subject: str, source: str, stream: str, version: int = 1) -> Envelope:
    return new_envelope(event, source=source, subject=subject, stream_id=stream, stream_version=version)


@dataclass
class Service:
    client: httpx.AsyncClient
    app: Any
    private_key: str
    bootstrap: str
    db: str

    def token(self, *roles: str, sub: str = "renshe-nantong") -> dict[str, str]:
        return {"Authorization": "Bearer " + issue_token(self.private_key, sub, list(roles))}

    async def publish(self, topic: str, envelopes: list[Envelope]) -> None:
        await produce(self.bootstrap, topic, envelopes)

    async def wait_for(self, predicate: Callable[[], Awaitable[Any]], timeout_s: float = 60) -> Any:
        deadline = time.monotonic() + timeout_s
        while True:
            value = await predicate()
            if value:
                return value
            assert time.monotonic() < deadline, "condition not reached in time"
            await asyncio.sleep(0.1)


def settings_for(db: str, bootstrap: str, public_key: str, key_file: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db, "kafka_bootstrap_servers": bootstrap, "auth_jwt_public_key": public_key,
        "data_key_file": str(key_file), "allow_private_callbacks": True, "require_https": False,
        "retry_schedule_s": [0.5, 0.5, 0.5], "delivery_poll_s": 0.1,
    }  # fmt: skip
    values.update(overrides)
    return Settings(**values)


@pytest_asyncio.fixture
async def service(
    request: pytest.FixtureRequest, new_pg_database: Callable[[str], str], kafka_bootstrap: str, tmp_path: Path
) -> AsyncIterator[Service]:
    db = new_pg_database("subscriptions")
    await asyncio.to_thread(upgrade, db, SPEC.migrations_dir)
    if not request.node.get_closest_marker("replay_from_beginning"):
        await start_groups_at_end(
            db, kafka_bootstrap, kernel, SPEC.definition.subscriptions(), SPEC.definition.topic_specs(12, 1)
        )
    private, public = generate_keypair()
    Keyring.write_new(tmp_path / "data.key")
    app = build_app(SPEC, settings_for(db, kafka_bootstrap, public, tmp_path / "data.key"))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://subscriptions") as client:
            yield Service(client, app, private, kafka_bootstrap, db)
