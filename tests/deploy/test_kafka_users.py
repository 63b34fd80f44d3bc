"""The Kafka users of the deployment: one per service, generated from the services' definitions,
and every Deployment connecting as its own (tests/test_kafka_acls.py proves on a real broker that
the ACLs allow what the services do and refuse the rest)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from typing import Any

import pytest
from deploykit import DEPLOY, OVERLAYS, find, render

CASES = sorted(OVERLAYS)


def _module() -> Any:
    spec = importlib.util.spec_from_file_location("relief_render_kafka_users", DEPLOY / "render_kafka_users.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_service_users_file_is_generated_from_the_current_definitions() -> None:
    done = subprocess.run([sys.executable, str(DEPLOY / "render_kafka_users.py"), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_service_may_touch_only_topics_it_declares_and_its_own_groups() -> None:
    module = _module()
    for service in module.SERVICES:
        definition = module.definition_of(service)
        declared = {s.name for s in definition.topic_specs(1, 1)}
        for acl in module.acls(definition):
            res = acl["resource"]
            if res["type"] == "topic":
                assert res["name"] in declared, f"{service}: ACL on {res['name']}, a topic it does not declare"
                if "Write" in acl["operations"] and not res["name"].endswith(".dlq"):
                    owned = {s.name for s in definition.own_topics(1, 1)} | set(definition.public_topics)
                    assert res["name"] in owned, f"{service} may write {res['name']}, which it does not own"
            elif res["type"] == "group":
                assert (res["name"], res["patternType"]) == (f"{definition.name}.", "prefix")
            else:
                assert acl["operations"] == ["IdempotentWrite"], f"{service}: cluster rights beyond IdempotentWrite"


@pytest.mark.parametrize("overlay", CASES)
def test_every_deployment_connects_as_its_own_kafka_user(overlay: str) -> None:
    docs = render(OVERLAYS[overlay])
    users = {u["metadata"]["name"] for u in find(docs, "KafkaUser")}
    configs = {c["metadata"]["name"]: c.get("data", {}) for c in find(docs, "ConfigMap")}
    for d in find(docs, "Deployment"):
        name = d["metadata"]["name"]
        if name == "banksim":
            continue
        config = {k: v for c in configs.values() for k, v in c.items() if k.endswith("KAFKA_SASL_USERNAME") and name in v}
        assert list(config.values()) == [f"service-{name}"], f"{name}: no Kafka user of its own"
        assert f"service-{name}" in users
        (main,) = d["spec"]["template"]["spec"]["containers"]
        refs = [v["valueFrom"]["secretKeyRef"] for v in main.get("env", []) if v["name"].endswith("KAFKA_SASL_PASSWORD")]
        assert refs == [{"name": f"service-{name}", "key": "password"}], name
