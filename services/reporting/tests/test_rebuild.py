"""`reporting rebuild` reproduces the live fingerprints of every projection from the log alone:
the service runs live on PostgreSQL and a Kafka broker of the test's own, reads the story from
every topic and takes the medical officer's fund figures; then, with the service stopped, the CLI
prints the live fingerprints, drops every projection and replays the log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from reporting.adapters.tables import kernel

from .conftest import Service, running
from .story import Story
from .test_reports_api import caught_up

pytestmark = [pytest.mark.slow, pytest.mark.replay_from_beginning]
BIN = Path(sys.executable).parent


def cli(env: dict[str, str], *args: str) -> dict[str, Any]:
    out = subprocess.run([str(BIN / "reporting"), *args], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)  # type: ignore[no-any-return]


async def test_rebuild_reproduces_the_live_fingerprints(new_pg_database: Callable[[str], str], private_kafka: str) -> None:
    db = new_pg_database("reporting_rebuild")
    story = Story().build()
    async for service in running(db, private_kafka, from_end=False):
        await live(service, story)
    env = {**os.environ, "REPORTING_DATABASE_URL": db, "KAFKA_BOOTSTRAP_SERVERS": private_kafka}
    live_prints = cli(env, "fingerprint")["fingerprints"]
    rebuilt = cli(env, "rebuild", "--no-progress")["projections"]
    assert {p["name"]: p["fingerprint"] for p in rebuilt} == live_prints
    events = {p["name"]: p["events"] for p in rebuilt}
    assert set(events) == {"stream-index", "medical-fund", "registry", "liabilities", "ledger", "disputes", "policies"}
    assert events["medical-fund"] == 3 and events["ledger"] == len(story.topics["refund.events"])
    assert all(n > 0 for n in events.values()), events
    assert cli(env, "fingerprint")["fingerprints"] == live_prints


async def live(service: Service, story: Story) -> None:
    """The story and three fund entries (one a correction), until every consumer has applied all."""
    await service.publish(story)
    await caught_up(service, story)
    officer = service.token("medical_officer", region="320600")
    for month, balance in (("2020-02", 100), ("2020-03", 200), ("2020-03", 300)):
        figures = {"balance_fen": balance, "income_fen": 10, "spending_fen": 5}
        assert (await service.client.put(f"/v1/medical-fund/320600/{month}", json=figures, headers=officer)).status_code == 200

    async def applied() -> bool:
        r = await service.client.get("/v1/dashboard/disputes-by-age", headers=service.token("ops"))
        async with service.app.state.sessions() as session:  # the three entries came back through Kafka
            fund_events = await session.scalar(
                sa.select(sa.func.count()).where(kernel.processed_events.c.consumer_group == "projection.medical-fund")
            )
        runtime = service.app.state.runtime
        idle = bool(runtime.consumers) and all(c.lag_known() and sum(c.lag.values()) == 0 for c in runtime.consumers)
        return bool(r.json()["open"][0]["disputes"]) and fund_events == 3 and idle

    await service.wait_for(applied)
