"""试算 through the REST API and the command line: every public example, exactly."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from eventkit.cli import build_app
from eventkit.migrations import upgrade
from eventkit.web.tokens import generate_keypair, issue_token
from relief_calc.service import SPEC


def _examples_file() -> Path:
    """../shared/examples/relief-preview.json, beside the repository (its clone sits next to shared/)."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "examples" / "relief-preview.json"
        if candidate.exists():
            return candidate
    raise FileNotFoundError("shared/examples/relief-preview.json not found beside the repository")


EXAMPLES = json.loads(_examples_file().read_text(encoding="utf-8"))


def same_on_given_fields(expected: Any, actual: Any) -> bool:
    """The example's fields, compared exactly; extra fields in the answer (the trace) are allowed."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and same_on_given_fields(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(map(same_on_given_fields, expected, actual))
    return bool(expected == actual)


@pytest_asyncio.fixture
async def api(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    private, public = generate_keypair()
    url = f"sqlite+aiosqlite:///{tmp_path / 'rc.db'}"
    await asyncio.to_thread(upgrade, url, SPEC.migrations_dir)  # a service runs migrated
    settings = SPEC.settings_cls(database_url=url, auth_jwt_public_key=public)
    app = build_app(SPEC, settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relief-calc") as client:
        yield client, private


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["name"][:60] for e in EXAMPLES])
async def test_every_public_example_over_rest(api: tuple[httpx.AsyncClient, str], example: dict[str, Any]) -> None:
    client, key = api
    headers = {"Authorization": "Bearer " + issue_token(key, "desk-12366", ["tax_officer"])}
    r = await client.post("/v1/liabilities/preview", json=example["request"], headers=headers)
    assert r.status_code == 200, r.text
    assert same_on_given_fields(example["response"], r.json()), json.dumps(r.json(), ensure_ascii=False)[:2000]


async def test_a_payer_previews_only_itself_and_bad_requests_name_the_field(api: tuple[httpx.AsyncClient, str]) -> None:
    client, key = api
    request = next(e["request"] for e in EXAMPLES if e["request"]["payer"].get("credit_code"))
    own = request["payer"]["credit_code"]
    payer = {"Authorization": "Bearer " + issue_token(key, "p", ["payer"], payer=own)}
    assert (await client.post("/v1/liabilities/preview", json=request, headers=payer)).status_code == 200
    other = {"Authorization": "Bearer " + issue_token(key, "q", ["payer"], payer="91320600MA00000015")}
    assert (await client.post("/v1/liabilities/preview", json=request, headers=other)).status_code == 403
    bad = {**request, "fee_period": "2020-13"}
    r = await client.post("/v1/liabilities/preview", json=bad, headers=payer)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert any("fee_period" in e["field"] for e in r.json()["errors"])
    assert (await client.post("/v1/liabilities/preview", json=request)).status_code == 401


def test_the_command_line_prints_the_same_response(tmp_path: Path) -> None:
    for i, example in enumerate(EXAMPLES):
        path = tmp_path / f"request-{i}.json"
        path.write_text(json.dumps(example["request"], ensure_ascii=False), encoding="utf-8")
        out = subprocess.run(
            [str(Path(sys.executable).parent / "relief-calc"), "preview", str(path)], capture_output=True, text=True, check=True
        )
        assert same_on_given_fields(example["response"], json.loads(out.stdout)), example["name"]
