"""A running declaration service for the API tests: its app (lifespan started: relay and
consumers running) on a fresh PostgreSQL database, with real Kafka, real keys and tokens."""

from __future__ import annotations

import asyncio
import importlib.util
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import pytest_asyncio

from declaration.adapters.tables import kernel
from declaration.service import SPEC
from declaration.settings import Settings
from eventkit.crypto import Keyring
from eventkit.migrations import upgrade
from eventkit.testing.offsets import start_groups_at_end
from eventkit.web.tokens import generate_keypair, issue_token
from refdata.codes import make_credit_code


@dataclass
class Service:
    client: httpx.AsyncClient
    app: Any
    private_key: str
    keyring: Keyring
    topic: str

    def token(self, *roles: str, sub: str = "tester", payer: str | None = None, region: str | None = None) -> dict[str, str]:
        return {"Authorization": "Bearer " + issue_token(self.private_key, sub, list(roles), payer=payer, region=region)}

    async def wait_for(self, predicate: Callable[[], Any], timeout_s: float = 30) -> Any:
        deadline = time.monotonic() + timeout_s
        while True:
            value = await predicate()
            if value:
                return value
            assert time.monotonic() < deadline, "condition not reached in time"
            await asyncio.sleep(0.1)


_RUN = secrets.randbelow(10**4)


def credit_code(n: int, region: str = "320600") -> str:
    """A valid 统一社会信用代码 for test payer number n in `region`, unique to this test run (the
    broker may hold earlier runs' events)."""
    return make_credit_code(f"91{region}MA{_RUN:04d}{n:03d}")


async def start_projections_at_the_end(db: str, bootstrap: str) -> None:
    """Test isolation: the broker is shared by the whole session and declaration.events (and
    relief.events) hold every earlier test's payers. A fresh database would replay all of them
    before showing this test's events, so its projections start at each topic's current end
    instead (the rebuild test opts out and replays everything)."""
    groups = SPEC.definition.projections
    await start_groups_at_end(db, bootstrap, kernel, groups, SPEC.definition.topic_specs(12, 1))


@pytest_asyncio.fixture
async def service(
    request: pytest.FixtureRequest, new_pg_database: Callable[[str], str], kafka_bootstrap: str, tmp_path: Path
) -> AsyncIterator[Service]:
    db = new_pg_database("declaration")
    await asyncio.to_thread(upgrade, db, SPEC.migrations_dir)
    if not request.node.get_closest_marker("replay_from_beginning"):
        await start_projections_at_the_end(db, kafka_bootstrap)
    private, public = generate_keypair()
    keyring = Keyring.generate()
    key_file = tmp_path / "data.key"
    keyring.write(key_file)
    settings = Settings(
        database_url=db,
        kafka_bootstrap_servers=kafka_bootstrap,
        auth_jwt_public_key=public,
        data_key_file=str(key_file),
        topic_partitions=12,
    )
    from eventkit.cli import build_app

    app = build_app(SPEC, settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://declaration") as client:
            yield Service(client, app, private, keyring, "declaration.events")


@pytest.fixture
def payer_body() -> Callable[..., dict[str, Any]]:
    def make(code: str, region: str = "320600", **over: Any) -> dict[str, Any]:
        body = {
            "credit_code": code,
            "name": "南通某某机械有限公司",
            "unit_type": "enterprise",
            "region": region,
            "industry": {"section": "C", "division": "34"},
            "work_injury": {"risk_class": 2, "floating_grade": "1.2"},
            "enrollments": [
                {"insurance": i, "since": "2015-01-01"}
                for i in ("pension", "unemployment", "work_injury", "medical", "maternity")
            ],
            "bank_account": {"bank_name": "中国工商银行南通分行", "account_number": "6222020200001234567"},
            "contact": {"name": "张三", "phone": "13800001234"},
        }
        body.update(over)
        return body

    return make


@pytest.fixture
def code() -> Callable[..., str]:
    return credit_code


def _load_relief_events() -> ModuleType:
    """tests/relief_events.py (pytest runs with --import-mode=importlib, so siblings are not importable)."""
    spec = importlib.util.spec_from_file_location("declaration_tests_relief_events", Path(__file__).parent / "relief_events.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RELIEF_EVENTS = _load_relief_events()


@pytest.fixture
def relief() -> ModuleType:
    """Builders of relief-calc's liability events as they appear on relief.events."""
    return RELIEF_EVENTS
