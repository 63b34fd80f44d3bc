"""Every object of every overlay against its schema: built-in kinds with kubernetes-validate
(strict, Kubernetes 1.32), Strimzi and CloudNativePG kinds with crd_schemas (strict subsets)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import crd_schemas
import kubernetes_validate
import pytest
from deploykit import BASE, K8S_VERSION, OVERLAYS, SECRETS_EXAMPLE, load_yaml_docs, ref, render, the


def all_objects() -> list[tuple[str, dict[str, Any]]]:
    out = [(f"{name}:{ref(d)}", d) for name, directory in sorted(OVERLAYS.items()) for d in render(directory)]
    out += [(f"secrets.example:{ref(d)}", d) for d in load_yaml_docs(SECRETS_EXAMPLE)]
    return out


OBJECTS = all_objects()


@pytest.mark.parametrize("doc", [d for _, d in OBJECTS], ids=[i for i, _ in OBJECTS])
def test_object_is_valid(doc: dict[str, Any]) -> None:
    if crd_schemas.is_custom(doc):
        errors = crd_schemas.errors(doc)
        assert not errors, "\n".join(errors)
    else:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_every_kind_has_a_schema() -> None:
    custom = {(d["apiVersion"], d["kind"]) for _, d in OBJECTS if crd_schemas.is_custom(d)}
    assert custom <= set(crd_schemas.SCHEMAS)
    assert {k for _, k in custom} >= {"Kafka", "KafkaNodePool", "KafkaTopic", "Cluster", "Database"}


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: d["spec"].__setitem__("replicas", "two"),
        lambda d: d["spec"]["template"]["spec"]["containers"][0].__setitem__("livenesProbe", {}),
        lambda d: d["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"].pop("port"),
    ],
    ids=["wrong-type", "misspelt-field", "missing-required-field"],
)
def test_kubernetes_validation_catches_broken_manifests(breakage: Callable[[dict[str, Any]], object]) -> None:
    deployment = copy.deepcopy(the(render(BASE), "Deployment", "declaration"))
    breakage(deployment)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


@pytest.mark.parametrize(
    ("kind", "name", "breakage"),
    [
        ("KafkaTopic", "refund.events", lambda d: d["spec"].__setitem__("replicas", "3")),
        ("KafkaTopic", "refund.events", lambda d: d["spec"].__setitem__("partition", 12)),
        ("Kafka", "relief", lambda d: d["spec"]["kafka"]["listeners"][0].__setitem__("type", "internl")),
        ("Kafka", "relief", lambda d: d["spec"].__setitem__("zookeeper", {"replicas": 3})),
        ("KafkaNodePool", "combined", lambda d: d["spec"].__setitem__("roles", ["broker", "zookeeper"])),
        ("Cluster", "relief-pg", lambda d: d["spec"].__setitem__("instances", 0)),
        ("Cluster", "relief-pg", lambda d: d["spec"]["managed"]["roles"][0].__setitem__("passwordSecrets", {})),
        ("Database", "relief-pg-refund", lambda d: d["spec"].pop("owner")),
        ("Database", "relief-pg-refund", lambda d: d["spec"].__setitem__("name", "postgres")),
    ],
    ids=[
        "topic-replicas-type",
        "topic-misspelt",
        "listener-enum",
        "zookeeper",
        "pool-role",
        "no-instances",
        "role-misspelt",
        "db-no-owner",
        "db-reserved",
    ],
)
def test_crd_schemas_catch_broken_resources(kind: str, name: str, breakage: Callable[[dict[str, Any]], object]) -> None:
    doc = copy.deepcopy(the(render(BASE), kind, name))
    assert not crd_schemas.errors(doc)
    breakage(doc)
    assert crd_schemas.errors(doc), f"the {kind} schema accepted a broken resource"


def test_a_kafka_user_validates() -> None:
    """The agencies' KafkaUsers (kafka/agency-users.yaml, to come) have a schema already."""
    user = {
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "KafkaUser",
        "metadata": {"name": "agency-hrss", "labels": {"strimzi.io/cluster": "relief"}},
        "spec": {
            "authentication": {"type": "tls"},
            "authorization": {
                "type": "simple",
                "acls": [
                    {
                        "resource": {"type": "topic", "name": "public.", "patternType": "prefix"},
                        "operations": ["Read", "Describe"],
                    }
                ],
            },
        },
    }
    assert not crd_schemas.errors(user)
    user["spec"]["authorization"]["acls"][0]["operations"] = ["Reed"]
    assert crd_schemas.errors(user)
