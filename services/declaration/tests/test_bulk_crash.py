"""A declaration server SIGKILLed in the middle of a bulk upload and started again resumes the
upload where it stopped: every row ends with exactly one result and good rows declare once."""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from devstack.ports import free_port
from eventkit.crypto import Keyring
from eventkit.testing.server import ServiceProcess
from eventkit.web.tokens import generate_keypair, issue_token
from refdata.codes import make_credit_code
from refdata.periods import FeePeriod

pytestmark = pytest.mark.slow
PERIODS = [str(p) for p in FeePeriod.range(FeePeriod.parse("2019-01"), FeePeriod.parse("2021-12"))]


def call(method: str, url: str, token: str, body: bytes | None = None, **headers: str) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method=method, headers={"Authorization": f"Bearer {token}", **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


async def _create_db(server_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def test_an_upload_resumes_after_the_server_is_killed_and_declares_each_row_once(
    pg_server_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    name = f"crash_{uuid.uuid4().hex[:8]}"
    asyncio.run(_create_db(pg_server_url, name))
    private, public = generate_keypair()
    (tmp_path / "jwt.pem").write_text(public)
    Keyring.write_new(tmp_path / "data.key")
    env = {
        **os.environ,
        "DECLARATION_DATABASE_URL": pg_server_url.rsplit("/", 1)[0] + "/" + name,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "AUTH_JWT_PUBLIC_KEY_FILE": str(tmp_path / "jwt.pem"),
        "DECLARATION_DATA_KEY_FILE": str(tmp_path / "data.key"),
        "DECLARATION_LOG_LEVEL": "WARNING",
    }
    server = ServiceProcess("declaration", env, free_port(), tmp_path / "server.log")
    server.run("migrate")
    server.start()
    admin = issue_token(private, "province-system", ["admin"], ttl_s=7200)
    run = uuid.uuid4().int % 10**4
    codes = [make_credit_code(f"91320600MA{run:04d}{n:03d}") for n in range(28)]
    try:
        for c in codes:
            payer = {
                "credit_code": c,
                "name": "某某公司",
                "unit_type": "enterprise",
                "region": "320600",
                "industry": {"section": "C", "division": "34"},
                "work_injury": {"risk_class": 2},
                "enrollments": [{"insurance": "pension", "since": "2015-01-01"}],
            }
            status, body = call(
                "POST", server.url + "/v1/payers", admin, json.dumps(payer).encode(), **{"Content-Type": "application/json"}
            )
            assert status == 201, body
        rows = [(c, p) for c in codes for p in PERIODS][:1000]
        csv = "credit_code,fee_period,pension_headcount,pension_base_fen\n" + "".join(f"{c},{p},10,5000000\n" for c, p in rows)
        status, accepted = call(
            "POST",
            server.url + "/v1/declaration-uploads",
            admin,
            csv.encode(),
            **{"Content-Type": "text/csv", "Idempotency-Key": f"crash-{run}"},
        )
        assert status == 202, accepted
        status_url = server.url + accepted["status_url"]
        deadline = time.monotonic() + 300
        while call("GET", status_url, admin)[1]["processed"] < 150:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        server.kill()  # in the middle of the upload
        interrupted = _processed_in_store(env["DECLARATION_DATABASE_URL"], accepted["upload_id"])
        assert 150 <= interrupted < 1000, f"the kill came at {interrupted} rows: not in the middle"
        server.start()  # the worker resumes unfinished uploads at start-up
        while (state := call("GET", status_url, admin)[1])["state"] != "completed":
            assert time.monotonic() < deadline, state
            time.sleep(0.5)
        assert (state["accepted"], state["rejected"]) == (1000, 0)
        results, after = {}, 0
        while True:
            _, page = call("GET", f"{status_url}/rows?after_row={after}&limit=1000", admin)
            for item in page["items"]:
                assert item["row"] not in results, f"row {item['row']} has two results"
                results[item["row"]] = item
            if page["next_after_row"] is None:
                break
            after = page["next_after_row"]
        assert sorted(results) == list(range(1, 1001))
        assert all(r["status"] == "accepted" and r["revision"] == 1 for r in results.values())  # declared once each
    finally:
        server.stop()


def _processed_in_store(db_url: str, upload_id: str) -> int:
    """Row results recorded when the server died (read from its database directly)."""
    import asyncpg

    async def count() -> int:
        conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM es_events WHERE stream_id = $1 AND event_type IN "
                    "('declaration.DeclarationUploadRowAccepted', 'declaration.DeclarationUploadRowRejected')",
                    f"upload-{upload_id}",
                )
            )
        finally:
            await conn.close()

    return asyncio.run(count())
