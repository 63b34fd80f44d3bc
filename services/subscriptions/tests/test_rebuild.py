"""`subscriptions rebuild` reproduces the live fingerprints (stream index, webhooks, archive of
public events) from the log alone, and re-delivers nothing: the delivery queue is operational
state, not a projection. On a Kafka broker of the test's own (the replay reads every topic from
its start)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from eventkit.cli import build_app
from eventkit.crypto import Keyring
from eventkit.migrations import upgrade
from eventkit.testing.proofs import produce
from eventkit.web.tokens import generate_keypair, issue_token
from subscriptions.service import SPEC

from .conftest import credit_code, settings_for
from .receiver import receiving
from .test_webhooks import ASSESSED, SIZE, events_for

pytestmark = [pytest.mark.slow, pytest.mark.replay_from_beginning]
BIN = Path(sys.executable).parent


def cli(env: dict[str, str], *args: str) -> dict[str, Any]:
    out = subprocess.run([str(BIN / "subscriptions"), *args], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)  # type: ignore[no-any-return]


async def test_rebuild_reproduces_the_live_fingerprints_and_delivers_nothing_again(
    new_pg_database: Callable[[str], str], private_kafka: str, tmp_path: Path
) -> None:
    db = new_pg_database("subscriptions_rebuild")
    await asyncio.to_thread(upgrade, db, SPEC.migrations_dir)
    private, public = generate_keypair()
    Keyring.write_new(tmp_path / "data.key")
    app = build_app(SPEC, settings_for(db, private_kafka, public, tmp_path / "data.key"))
    agency = {"Authorization": "Bearer " + issue_token(private, "renshe-nantong", ["agency"])}
    with receiving() as rec:
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://subscriptions") as client:
                hooks = []
                for types in ([ASSESSED, SIZE], [SIZE]):
                    r = await client.post("/v1/webhooks", headers=agency, json={"url": rec.url, "event_types": types})
                    hooks.append(r.json()["webhook_id"])
                await client.delete(f"/v1/webhooks/{hooks[1]}", headers=agency)
                for n in range(1, 4):
                    for topic, env in events_for(credit_code(100 + n)).items():
                        await produce(private_kafka, topic, [env])
                deadline = asyncio.get_running_loop().time() + 60
                while len(rec.requests) < 6:
                    assert asyncio.get_running_loop().time() < deadline, f"delivered {len(rec.requests)} of 6"
                    await asyncio.sleep(0.2)
                await asyncio.sleep(1.5)  # the projections catch up with what the fan-out already saw
        delivered = len(rec.requests)
        env = {**os.environ, "SUBSCRIPTIONS_DATABASE_URL": db, "KAFKA_BOOTSTRAP_SERVERS": private_kafka}
        live = cli(env, "fingerprint")["fingerprints"]
        rebuilt = cli(env, "rebuild", "--no-progress")["projections"]
        assert {p["name"]: p["fingerprint"] for p in rebuilt} == live
        assert {p["name"]: p["events"] for p in rebuilt}["archive"] == 9
        assert len(rec.requests) == delivered == 6
