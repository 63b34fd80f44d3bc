"""create_app: operational routes, request ids, trace context, metrics and lifespan hooks."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eventkit.settings import ServiceSettings
from eventkit.web import PAYER, create_app, start_stop


@pytest.mark.asyncio
async def test_healthz(harness: Any) -> None:
    r = await harness.client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


@pytest.mark.asyncio
async def test_readyz_ok_lists_the_database_check(harness: Any) -> None:
    r = await harness.client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["checks"] == [{"name": "database", "ok": True, "detail": "select 1 ok"}]


@pytest.mark.asyncio
async def test_readyz_503_names_failing_checks(sessions_for_app: async_sessionmaker[AsyncSession]) -> None:
    async def kafka() -> tuple[str, bool, str]:
        return "kafka", False, "no broker at 127.0.0.1:1"

    async def consumer_lag() -> tuple[str, bool, str]:
        raise RuntimeError("lag unknown")

    async def slow() -> tuple[str, bool, str]:
        await asyncio.sleep(5)
        return "slow", True, ""

    app = create_app(
        ServiceSettings(service_name="webtest"),
        sessions=sessions_for_app,
        readiness_checks=[kafka, consumer_lag, slow],
        readiness_timeout_s=0.2,
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        r = await client.get("/readyz")
    assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"] == "urn:relief:problem:not-ready"
    checks = {c["name"]: c for c in body["checks"]}
    assert checks["database"]["ok"] is True
    assert checks["kafka"] == {"name": "kafka", "ok": False, "detail": "no broker at 127.0.0.1:1"}
    assert checks["consumer_lag"]["ok"] is False and "lag unknown" in checks["consumer_lag"]["detail"]
    assert checks["slow"]["ok"] is False and "0.2s" in checks["slow"]["detail"]


@pytest.mark.asyncio
async def test_metrics_count_requests_by_route_template(harness: Any) -> None:
    labels = {"service": "webtest", "method": "GET", "route": "/v1/things/{thing_id}", "status": "200"}
    before = REGISTRY.get_sample_value("http_request_duration_seconds_count", labels) or 0
    for thing_id in (1, 2, 3):
        assert (await harness.client.get(f"/v1/things/{thing_id}", headers=harness.token(PAYER))).status_code == 200
    await harness.client.get("/no/such/path/42")
    assert REGISTRY.get_sample_value("http_request_duration_seconds_count", labels) == before + 3
    r = await harness.client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert 'route="/v1/things/{thing_id}"' in r.text
    assert 'route="<unmatched>"' in r.text and "/no/such/path/42" not in r.text


@pytest.mark.asyncio
async def test_ids_are_generated_or_propagated(harness: Any) -> None:
    token = harness.token(PAYER)
    r = await harness.client.get("/v1/context", headers=token)
    seen = r.json()
    assert r.headers["x-request-id"] == seen["request_id"]
    assert r.headers["x-correlation-id"] == seen["correlation_id"] == seen["request_id"]
    assert r.headers["traceparent"] == seen["traceparent"]

    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    r = await harness.client.get(
        "/v1/context",
        headers={**token, "X-Request-ID": "req-1", "X-Correlation-ID": "corr-1", "traceparent": parent},
    )
    seen = r.json()
    assert (seen["request_id"], seen["correlation_id"]) == ("req-1", "corr-1")
    assert (r.headers["x-request-id"], r.headers["x-correlation-id"]) == ("req-1", "corr-1")
    trace = seen["traceparent"].split("-")
    assert trace[1] == "0af7651916cd43dd8448eb211c80319c" and trace[2] != "b7ad6b7169203331"

    r = await harness.client.get("/v1/context", headers={**token, "X-Request-ID": "bad id\r\nx", "traceparent": "junk"})
    seen = r.json()
    assert seen["request_id"] != "bad id\r\nx" and len(seen["request_id"]) == 36
    assert len(seen["traceparent"].split("-")[1]) == 32


@pytest.mark.asyncio
async def test_openapi_and_docs_are_served(harness: Any) -> None:
    spec = (await harness.client.get("/openapi.json")).json()
    assert spec["info"]["title"] == "webtest"
    assert "/v1/things" in spec["paths"]
    post = spec["paths"]["/v1/things"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    assert (await harness.client.get("/docs")).status_code == 200


@pytest.mark.asyncio
async def test_lifespan_hooks_start_in_order_and_stop_in_reverse(
    sessions_for_app: async_sessionmaker[AsyncSession],
) -> None:
    calls: list[str] = []

    def recorder(name: str) -> Any:
        async def start() -> None:
            calls.append(f"start {name}")

        async def stop() -> None:
            calls.append(f"stop {name}")

        return start_stop(start, stop)

    app = create_app(
        ServiceSettings(service_name="webtest"),
        sessions=sessions_for_app,
        lifespan_hooks=[recorder("relay"), recorder("consumer")],
    )
    assert app.state.sessions is sessions_for_app and app.state.settings.service_name == "webtest"
    async with app.router.lifespan_context(app):
        assert calls == ["start relay", "start consumer"]
    assert calls == ["start relay", "start consumer", "stop consumer", "stop relay"]


async def test_openapi_states_who_may_call_each_operation(harness: Any) -> None:
    schema = (await harness.client.get("/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    operations = [(path, m, op) for path, item in schema["paths"].items() for m, op in item.items()]
    assert operations and all("x-roles" in op for _, _, op in operations)
    assert schema["paths"]["/healthz"]["get"]["x-roles"] == ["public"]
    guarded = [op for _, _, op in operations if op["x-roles"] != ["public"]]
    assert guarded and all(op["security"] == [{"bearer": []}] and "Access: roles:" in op["description"] for op in guarded)
