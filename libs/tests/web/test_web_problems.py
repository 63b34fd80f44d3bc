"""Every error is an RFC 9457 problem document with the request id."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from eventkit.web import OFFICER, PAYER

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "request_id", "errors"}


def assert_problem(response: object, status: int, slug: str) -> dict[str, object]:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert PROBLEM_KEYS <= body.keys()
    assert body["type"] == f"urn:relief:problem:{slug}"
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]  # type: ignore[attr-defined]
    return body


@pytest.mark.asyncio
async def test_validation_error_names_each_field(harness: Any) -> None:
    r = await harness.client.post("/v1/things", json={"lines": [{"base_fen": 5}, {"base_fen": -1}]}, headers=harness.token(PAYER))
    body = assert_problem(r, 422, "validation-failed")
    fields = {e["field"]: e["reason"] for e in body["errors"]}  # type: ignore[attr-defined]
    assert set(fields) == {"body.name", "body.lines.1.base_fen"}
    assert "greater than or equal to 0" in fields["body.lines.1.base_fen"]
    assert body["instance"] == "/v1/things"


@pytest.mark.asyncio
async def test_malformed_json_is_a_422_problem(harness: Any) -> None:
    r = await harness.client.post(
        "/v1/things", content=b"{not json", headers={**harness.token(PAYER), "content-type": "application/json"}
    )
    body = assert_problem(r, 422, "validation-failed")
    assert body["errors"] and body["errors"][0]["field"].startswith("body")  # type: ignore[index]


@pytest.mark.asyncio
async def test_not_found_and_method_not_allowed(harness: Any) -> None:
    r = await harness.client.get("/v1/nothing-here")
    body = assert_problem(r, 404, "not-found")
    assert body["instance"] == "/v1/nothing-here"
    r = await harness.client.delete("/healthz")
    assert_problem(r, 405, "method-not-allowed")
    assert r.headers["allow"] == "GET"


@pytest.mark.asyncio
async def test_unauthenticated_and_forbidden(harness: Any) -> None:
    r = await harness.client.get("/v1/officer-only")
    assert_problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"].startswith("Bearer")
    r = await harness.client.get("/v1/officer-only", headers=harness.token(PAYER))
    body = assert_problem(r, 403, "forbidden")
    assert OFFICER in str(body["detail"])


@pytest.mark.asyncio
async def test_unhandled_error_is_a_500_problem_without_internals(harness: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="eventkit.web"):
        r = await harness.client.get("/v1/explode", headers={"X-Request-ID": "req-500"})
    body = assert_problem(r, 500, "internal-error")
    assert body["request_id"] == "req-500"
    assert "secret" not in r.text and "RuntimeError" not in r.text and "Traceback" not in r.text
    [record] = [rec for rec in caplog.records if rec.getMessage() == "unhandled error"]
    assert record.exc_info is not None


@pytest.mark.asyncio
async def test_concurrency_error_is_a_409_problem(harness: Any) -> None:
    r = await harness.client.get("/v1/conflict")
    assert_problem(r, 409, "concurrency-conflict")
