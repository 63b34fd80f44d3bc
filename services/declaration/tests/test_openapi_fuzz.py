"""schemathesis against the running declaration service's own OpenAPI document: generated
requests (valid and invalid) never get a 5xx, and every response matches the schema."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from devstack.ports import free_port
from eventkit.crypto import Keyring
from eventkit.web.tokens import generate_keypair, issue_token

BIN = Path(sys.executable).parent


async def _create_db(server_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def declaration_server(
    pg_server_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    name = f"fuzz_{uuid.uuid4().hex[:8]}"
    asyncio.run(_create_db(pg_server_url, name))
    db = pg_server_url.rsplit("/", 1)[0] + "/" + name
    keys = tmp_path_factory.mktemp("fuzz-keys")
    private, public = generate_keypair()
    (keys / "jwt-public.pem").write_text(public)
    Keyring.write_new(keys / "data.key")
    env = {
        **os.environ,
        "DECLARATION_DATABASE_URL": db,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "AUTH_JWT_PUBLIC_KEY_FILE": str(keys / "jwt-public.pem"),
        "DECLARATION_DATA_KEY_FILE": str(keys / "data.key"),
        "DECLARATION_LOG_LEVEL": "WARNING",
    }
    subprocess.run([str(BIN / "declaration"), "migrate"], env=env, check=True, capture_output=True)
    port = free_port()
    log = open(keys / "server.log", "wb")
    proc = subprocess.Popen([str(BIN / "declaration"), "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as r:
                if r.status == 200:
                    break
        except Exception:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, (keys / "server.log").read_text()[-3000:]
        time.sleep(0.3)
    token = issue_token(private, "fuzzer", ["admin"])
    try:
        yield {"url": url, "headers": {"Authorization": f"Bearer {token}"}, "log": keys / "server.log"}
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()
        assert "Traceback" not in (keys / "server.log").read_text(errors="replace"), "the server logged an unhandled error"


@pytest.fixture(scope="module")
def declaration_schema(declaration_server: dict[str, Any]) -> Any:
    return schemathesis.from_uri(declaration_server["url"] + "/openapi.json")


@schemathesis.serializer("text/csv")
class _Text:
    """Bulk uploads are plain text (CSV or JSON lines): send whatever string was generated."""

    def as_requests(self, context: Any, value: Any) -> dict[str, Any]:
        return {"data": value if isinstance(value, bytes) else str(value).encode()}

    def as_werkzeug(self, context: Any, value: Any) -> dict[str, Any]:
        return self.as_requests(context, value)


schemathesis.serializer("application/x-ndjson")(_Text)
schemathesis.experimental.OPEN_API_3_1.enable()  # FastAPI documents OpenAPI 3.1
schema = schemathesis.from_pytest_fixture("declaration_schema")


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_error_and_every_response_matches_the_schema(case: Any, declaration_server: dict[str, Any]) -> None:
    headers = {**declaration_server["headers"], **(case.headers or {})}
    if case.method == "POST" and "Idempotency-Key" not in headers:
        headers["Idempotency-Key"] = uuid.uuid4().hex
    response = case.call(base_url=declaration_server["url"], headers=headers, timeout=30)
    case.validate_response(response, checks=(not_a_server_error, response_schema_conformance))
