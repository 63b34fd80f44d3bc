"""Each service as its operators run it: migrate against PostgreSQL, create its topics, serve,
answer /healthz, /readyz and /metrics, declare who may call every route, and rebuild."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from devstack.ports import free_port
from eventkit.cli import ServiceSpec, build_app
from eventkit.web.auth import route_access

SERVICES = {
    "declaration": ("declaration", "DECLARATION_", ["declaration.events"]),
    "relief-calc": ("relief_calc", "RELIEF_CALC_", ["relief.events", "policy.events"]),
    "refund": ("refund", "REFUND_", ["refund.events"]),
    "classification": ("classification", "CLASSIFICATION_", ["classification.events"]),
    "subscriptions": ("subscriptions", "SUBSCRIPTIONS_", ["subscriptions.events"]),
    "reporting": ("reporting", "REPORTING_", ["reporting.events", "policy.events"]),
}
BIN = Path(sys.executable).parent


def spec_of(name: str) -> ServiceSpec:
    return importlib.import_module(f"{SERVICES[name][0]}.service").SPEC  # type: ignore[no-any-return]


def env_for(name: str, db_url: str, bootstrap: str) -> dict[str, str]:
    prefix = SERVICES[name][1]
    return {**os.environ, f"{prefix}DATABASE_URL": db_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap}


def cli(name: str, env: dict[str, str], *args: str) -> dict[str, object]:
    out = subprocess.run([str(BIN / name), *args], env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)  # type: ignore[no-any-return]


@pytest.fixture(params=sorted(SERVICES))
def service(
    request: pytest.FixtureRequest, new_pg_database: Callable[[str], str], kafka_bootstrap: str
) -> Iterator[tuple[str, dict[str, str]]]:
    name = request.param
    env = env_for(name, new_pg_database(name.replace("-", "_")), kafka_bootstrap)
    yield name, env


async def test_service_migrates_creates_topics_serves_and_rebuilds(
    service: tuple[str, dict[str, str]], kafka_bootstrap: str
) -> None:
    name, env = service
    assert cli(name, env, "migrate") == {"service": name, "migrated": True}
    assert cli(name, env, "migrate") == {"service": name, "migrated": True}  # idempotent
    topics = cli(name, env, "topics")["topics"]
    for own in SERVICES[name][2]:
        assert own in topics and f"{own}.dlq" in topics  # type: ignore[operator]

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(SERVICES[name][2])
        configs = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t) for t in SERVICES[name][2]])
    finally:
        await admin.close()
    partitions = {t["topic"]: len(t["partitions"]) for t in described}
    for topic, count in partitions.items():
        assert count == (1 if topic == "policy.events" else 12)  # the default partition count
    retention = {
        res[3]: {c[0]: c[1] for c in res[4]}["retention.ms"]
        for resp in configs
        for res in resp.resources  # type: ignore[attr-defined]
    }
    assert set(retention.values()) == {"-1"}

    port = free_port()
    proc = subprocess.Popen(  # noqa: ASYNC220 - starting the service is the point; it runs beside the loop
        [str(BIN / name), "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            ready = await _wait_ready(http, proc)
            assert {c["name"]: c["ok"] for c in ready["checks"]} == {"database": True, "kafka": True, "consumers": True}
            assert (await http.get("/healthz")).json() == {"status": "ok"}
            metrics = (await http.get("/metrics")).text
            for family in ("http_request_duration_seconds", "eventkit_consumer_lag", "eventkit_outbox_backlog"):
                assert family in metrics
            assert (await http.get("/openapi.json")).json()["info"]["title"] == name
            missing = await http.get("/v1/does-not-exist")
            assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    finally:
        proc.terminate()
        output = proc.communicate(timeout=60)[0].decode(errors="replace")
    assert "Application shutdown complete" in output

    rebuilt = cli(name, env, "rebuild", "--no-progress")
    expected = [p.name for p in spec_of(name).definition.projections]
    assert [p["name"] for p in rebuilt["projections"]] == expected  # type: ignore[index]
    assert "stream-index" in expected
    fp = cli(name, env, "fingerprint")["fingerprints"]
    assert fp == {p["name"]: p["fingerprint"] for p in rebuilt["projections"]}  # type: ignore[union-attr,index]


async def _wait_ready(http: httpx.AsyncClient, proc: subprocess.Popen[bytes]) -> dict[str, object]:
    deadline = time.monotonic() + 90
    last: object = None
    while time.monotonic() < deadline:
        assert proc.poll() is None, "service exited"
        try:
            response = await http.get("/readyz")
            last = response.json()
            if response.status_code == 200:
                return response.json()  # type: ignore[no-any-return]
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.3)
    raise AssertionError(f"not ready in time: {last}")


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_route_declares_who_may_call_it(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{SERVICES[name][1]}DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    app = build_app(spec_of(name))
    undeclared = [getattr(r, "path", "?") for r in app.routes if route_access(r) is None]
    assert undeclared == []
    assert {getattr(r, "path", "") for r in app.routes} >= {"/healthz", "/readyz", "/metrics", "/openapi.json"}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_topics_in_code_match_the_deployment_topic_list(name: str) -> None:
    import yaml

    listed = {t["name"]: t for t in yaml.safe_load(Path("deploy/topics.yaml").read_text())["topics"]}
    for spec in spec_of(name).definition.own_topics(12, 1):
        assert spec.name in listed, f"{spec.name} is declared in code but not in deploy/topics.yaml"
        assert listed[spec.name]["partitions"] == spec.partitions
        assert spec.config["retention.ms"] == "-1"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_partition_count_is_configurable_except_for_the_global_policy_topic(name: str) -> None:
    specs = {s.name: s for s in spec_of(name).definition.topic_specs(partitions=4, replication=3)}
    for topic, spec in specs.items():
        assert spec.partitions == (1 if topic.startswith("policy.events") else 4)
        assert spec.replication_factor == 3
        assert spec.config == {"retention.ms": "-1"}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_migrations_create_exactly_the_tables_the_code_declares(name: str, new_pg_database: Callable[[str], str]) -> None:
    """A model change without its migration fails here (checked on PostgreSQL, the production database)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from eventkit.db import make_engine
    from eventkit.migrations import upgrade

    spec = spec_of(name)
    url = new_pg_database(f"drift_{name.replace('-', '_')}")
    upgrade(url, spec.migrations_dir)

    async def diff() -> list[object]:
        aengine = make_engine(url)
        try:
            async with aengine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(sync, opts={"compare_type": True}), spec.definition.metadata
                    )
                )
        finally:
            await aengine.dispose()

    assert asyncio.run(diff()) == []
