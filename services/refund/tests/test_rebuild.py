"""`refund rebuild` reproduces the same fingerprints: the service runs live on PostgreSQL with a Kafka
broker of the test's own and a bank simulator — dues, payments from the bank, credits, an ex-officio
refund settled, another rejected, the day's statement reconciled; then, the service stopped, the
command line drops every projection, replays the log and prints fingerprints equal to the live ones."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa

from eventkit.cli import build_app
from eventkit.crypto import Keyring
from eventkit.migrations import upgrade
from eventkit.testing.proofs import caught_up, end_offsets
from eventkit.testing.server import ServiceProcess
from eventkit.web.tokens import generate_keypair
from refdata.codes import make_credit_code
from refund.adapters.tables import kernel
from refund.service import SPEC

from .live import SECRET, Payers, bearer, eventually

pytestmark = [pytest.mark.slow, pytest.mark.replay_from_beginning]
CN = timezone(timedelta(hours=8))


@pytest_asyncio.fixture
async def world(
    new_pg_database: Callable[[str], str], private_kafka: str, tmp_path: Path, bank: ServiceProcess
) -> AsyncIterator[dict[str, Any]]:
    db = new_pg_database("refund_rebuild")
    await asyncio.to_thread(upgrade, db, SPEC.migrations_dir)
    private, public = generate_keypair()
    Keyring.write_new(tmp_path / "data.key")
    settings = SPEC.settings_cls(
        database_url=db, kafka_bootstrap_servers=private_kafka, auth_jwt_public_key=public,
        data_key_file=str(tmp_path / "data.key"), bank_callback_secret=SECRET, bank_url=bank.url,
        bank_worker_poll_s=0.1, bank_status_after_s=0.3, bank_status_max_s=2.0,
    )  # fmt: skip
    app = build_app(SPEC, settings)
    yield {"app": app, "db": db, "private": private, "bootstrap": private_kafka, "key": tmp_path / "data.key"}
    await app.state.runtime.engine.dispose()


def cli(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "refund"), *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout))


async def test_refund_rebuild_reproduces_the_fingerprints(world: dict[str, Any], bank: ServiceProcess) -> None:
    app, runtime = world["app"], world["app"].state.runtime
    codes = [make_credit_code(f"91320600MA{os.getpid() % 10**4:04d}Q{n:02d}") for n in range(3)]
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://refund") as client:
            p = Payers(client, world["private"], world["bootstrap"], bearer(world["private"], "officer-1", "tax_officer"))
            approver = bearer(world["private"], "approver-1", "refund_approver")
            accounts = ["6222020200001234567", "6222020200009990000", "6222020200005556667"]  # …0000 is rejected
            refunds = [await p.with_credit(code, account) for code, account in zip(codes, accounts, strict=True)]
            for code, refund_id in zip(codes[:2], refunds[:2], strict=True):
                r = await client.post(f"/v1/payers/{code}/refunds/{refund_id}/approval", headers=approver)
                assert r.status_code == 200, r.text

            async def done() -> bool:
                counts = (await client.get("/v1/refunds", headers=p.officer)).json()["counts"]
                return bool(counts == {"settled": 1, "rejected": 1, "requested": 1})

            await eventually(done, "one refund settled, one rejected")
            day = datetime.now(CN).date().isoformat()
            async with httpx.AsyncClient() as plain:
                statement = await plain.get(f"{bank.url}/statements/{day}", timeout=10)
            r = await client.post(
                "/v1/reconciliation/statements",
                content=statement.content,
                headers={**p.officer, "Content-Type": "application/xml"},
            )
            assert r.status_code in (200, 201), r.text

            async def projected() -> bool:
                async with runtime.sessions() as s:
                    if await s.scalar(sa.select(sa.func.count()).select_from(kernel.outbox)):
                        return False
                for projection in SPEC.definition.projections:
                    for topic in projection.topics:
                        if not await caught_up(runtime.sessions, projection.group, await end_offsets(world["bootstrap"], topic)):
                            return False
                return True

            await eventually(projected, "every event published and projected")
    env = {
        **os.environ, "REFUND_DATABASE_URL": world["db"], "KAFKA_BOOTSTRAP_SERVERS": world["bootstrap"],
        "REFUND_DATA_KEY_FILE": str(world["key"]),
    }  # fmt: skip
    live = cli(env, "fingerprint")["fingerprints"]
    assert set(live) == {p.name for p in SPEC.definition.projections} and len(live) >= 3
    rebuilt = cli(env, "rebuild", "--no-progress")
    assert {p["name"]: p["fingerprint"] for p in rebuilt["projections"]} == live
    async with runtime.sessions() as s:
        statuses = dict((await s.execute(sa.text("SELECT status, count(*) FROM rf_refunds GROUP BY status"))).all())
    assert statuses == {"settled": 1, "rejected": 1, "requested": 1}
