"""Offline validation of the deployment descriptions: docker-compose.yml and deploy/.

No Docker engine and no cluster are needed:

* docker-compose.yml is validated against the Compose Specification JSON schema that
  check-jsonschema vendors (``--builtin-schema vendor.compose-spec``), in process and with
  the check-jsonschema CLI;
* every built-in Kubernetes resource under deploy/k8s is validated with kubernetes-validate
  (strict: unknown fields are errors) against the Kubernetes 1.32 schemas it ships, and so is
  the output of ``kubectl kustomize deploy/k8s`` where kubectl is installed;
* Strimzi custom resources (no schema offline) get structural checks;
* both deployments are checked against the contract of the services and against the one
  topic list, deploy/topics.yaml.
"""

from __future__ import annotations

import base64
import copy
import importlib.util
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml  # type: ignore[import-untyped]  # no types-PyYAML in requirements.txt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE_FILE = ROOT / "docker-compose.yml"
TOPICS_FILE = DEPLOY / "topics.yaml"
K8S_VERSION = "1.32.0"
APP_PORT = 8000

# The services' runtime contract: command-line entry point and environment prefix.
SERVICES = {
    "declaration": {"cli": "declaration", "prefix": "DECLARATION_"},
    "relief-calc": {"cli": "relief-calc", "prefix": "RELIEF_CALC_"},
    "refund": {"cli": "refund", "prefix": "REFUND_"},
    "classification": {"cli": "classification", "prefix": "CLASSIFICATION_"},
}
ENV_SUFFIXES = (
    "DATABASE_URL",
    "KAFKA_BOOTSTRAP_SERVERS",
    "TOPIC_PARTITIONS",
    "TOPIC_REPLICATION_FACTOR",
    "DATA_KEY_FILE",
)
# The topics DESIGN.md names (base topic -> partitions); each also has "<topic>.dlq".
DESIGN_TOPICS = {
    "declaration.events": 12,
    "relief.events": 12,
    "refund.events": 12,
    "classification.events": 12,
    "policy.events": 1,
}
STRIMZI_GROUP = "kafka.strimzi.io"


def expected_env(service: str) -> set[str]:
    prefix = SERVICES[service]["prefix"]
    return {prefix + s for s in ENV_SUFFIXES} | {"AUTH_JWT_PUBLIC_KEY_FILE"}


# --------------------------------------------------------------------------- loading


def load_yaml_docs(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def topics_source() -> dict[str, Any]:
    return cast(dict[str, Any], yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8")))


def topic_table() -> dict[str, dict[str, Any]]:
    """name -> {partitions, config (values as strings)} from deploy/topics.yaml."""
    return {
        t["name"]: {
            "partitions": t["partitions"],
            "config": {str(k): str(v) for k, v in (t.get("config") or {}).items()},
        }
        for t in topics_source()["topics"]
    }


def payer_partitions() -> int:
    counts = {t["partitions"] for t in topics_source()["topics"] if t.get("scope") == "payer"}
    assert len(counts) == 1, f"payer-scoped topics must share one partition count: {counts}"
    return int(counts.pop())


def compose() -> dict[str, Any]:
    return cast(dict[str, Any], yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8")))


def kustomization() -> dict[str, Any]:
    return cast(dict[str, Any], yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8")))


def k8s_files() -> list[Path]:
    return [K8S / r for r in kustomization()["resources"]]


def k8s_docs() -> list[dict[str, Any]]:
    return [d for p in k8s_files() for d in load_yaml_docs(p)]


def is_strimzi(doc: dict[str, Any]) -> bool:
    return str(doc["apiVersion"]).split("/")[0] == STRIMZI_GROUP


def find(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]


def the(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = find(docs, kind, name)
    assert len(found) == 1, f"expected exactly one {kind}/{name}, found {len(found)}"
    return found[0]


def ref(doc: dict[str, Any]) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def compose_schema() -> dict[str, Any]:
    """The Compose Specification schema vendored by check-jsonschema (no network needed)."""
    spec = importlib.util.find_spec("check_jsonschema")  # locate it without importing its CLI
    assert spec and spec.submodule_search_locations, "check-jsonschema is not installed"
    path = Path(spec.submodule_search_locations[0]) / "builtin_schemas" / "vendor" / "compose-spec.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["title"] == "Compose Specification"
    return cast(dict[str, Any], schema)


def compose_errors(document: dict[str, Any]) -> list[str]:
    schema = compose_schema()
    assert "draft-07" in schema["$schema"]
    cls = jsonschema.Draft7Validator
    cls.check_schema(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path)))
    ]


def create_databases(sql: str) -> set[str]:
    return set(re.findall(r"^\s*CREATE\s+DATABASE\s+\"?([A-Za-z0-9_]+)\"?", sql, re.I | re.M))


def render_module() -> Any:
    spec = importlib.util.spec_from_file_location("relief_render_topics", DEPLOY / "render_topics.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- topics.yaml


def test_topics_source_follows_the_design() -> None:
    table = topic_table()
    assert len(table) == len(topics_source()["topics"]), "duplicate topic names in deploy/topics.yaml"
    for base, partitions in DESIGN_TOPICS.items():
        assert base in table, f"{base} missing from deploy/topics.yaml"
        assert table[base]["partitions"] == partitions, base
    for name, topic in table.items():
        assert topic["config"].get("retention.ms") == "-1", f"{name}: events are kept forever"
        if name.endswith(".dlq"):
            assert name[: -len(".dlq")] in table, f"{name} is a dead-letter topic of no topic"
        else:
            dlq = table.get(name + ".dlq")
            assert dlq is not None, f"{name} has no dead-letter topic {name}.dlq"
            assert dlq == topic, f"{name}.dlq must have the same partitions and config as {name}"
    assert payer_partitions() == 12
    rf = topics_source()["replication_factor"]
    assert rf == {"compose": 1, "kubernetes": 3}


def test_generated_topic_files_are_up_to_date() -> None:
    module = render_module()
    for path, text in module.outputs().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.relative_to(ROOT)} is stale: run python deploy/render_topics.py"


# --------------------------------------------------------------------------- compose: schema


def test_compose_file_is_valid_against_the_compose_spec() -> None:
    errors = compose_errors(compose())
    assert not errors, "docker-compose.yml breaks the Compose Specification:\n" + "\n".join(errors)


def test_compose_file_passes_check_jsonschema_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "breakage",
    [
        lambda c: c["services"]["declaration"]["healthcheck"].__setitem__("bogus", 1),
        lambda c: c["services"]["refund"]["depends_on"]["kafka"].__setitem__("condition", "ready"),
        lambda c: c["services"]["kafka"].__setitem__("ports", "29092:29092"),
        lambda c: c.__setitem__("service", {}),
    ],
    ids=["unknown-healthcheck-key", "bad-depends-on-condition", "ports-not-a-list", "unknown-top-level-key"],
)
def test_compose_schema_check_catches_broken_files(breakage: Callable[[dict[str, Any]], object]) -> None:
    broken = copy.deepcopy(compose())
    breakage(broken)
    assert compose_errors(broken), "the compose schema check accepted a broken file"


# --------------------------------------------------------------------------- compose: content


def test_compose_kafka_is_a_single_kraft_node() -> None:
    kafka = compose()["services"]["kafka"]
    assert kafka["image"] == "apache/kafka:3.9.1"
    env = {k: str(v) for k, v in kafka["environment"].items()}
    assert not [k for k in env if "ZOOKEEPER" in k], "KRaft mode has no ZooKeeper"
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    node_id = env["KAFKA_NODE_ID"]
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{node_id}@kafka:9093"
    assert "CONTROLLER://:9093" in env["KAFKA_LISTENERS"].split(",")
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] == "CONTROLLER"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    protocol_map = dict(p.split(":") for p in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    for listener in env["KAFKA_LISTENERS"].split(","):
        assert listener.split("://")[0] in protocol_map, listener
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", env["CLUSTER_ID"]), "CLUSTER_ID is a base64url UUID"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false", "topics come from deploy/topics.yaml only"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert "healthcheck" in kafka


def test_compose_topic_job() -> None:
    c = compose()
    job = c["services"]["kafka-topics"]
    assert job["image"] == c["services"]["kafka"]["image"]
    assert job["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert job.get("restart", "no") == "no"
    mounts = {v.split(":")[0]: v.split(":")[1] for v in job["volumes"]}
    assert mounts.get("./deploy/compose/create-topics.sh"), "the job runs the generated script"
    assert mounts["./deploy/compose/create-topics.sh"] in " ".join(job["entrypoint"])
    assert str(job["environment"]["REPLICATION_FACTOR"]) == str(topics_source()["replication_factor"]["compose"])
    assert job["environment"]["BOOTSTRAP_SERVERS"] == "kafka:9092"


def test_compose_postgres_creates_one_database_per_service() -> None:
    pg = compose()["services"]["postgres"]
    assert pg["image"] == "postgres:15"
    init = [v for v in pg["volumes"] if ":/docker-entrypoint-initdb.d/" in v]
    assert init == ["./deploy/compose/postgres-init.sql:/docker-entrypoint-initdb.d/10-relief-databases.sql:ro"]
    dbs = create_databases((DEPLOY / "compose" / "postgres-init.sql").read_text(encoding="utf-8"))
    urls = {
        urlsplit(str(compose()["services"][s]["environment"][SERVICES[s]["prefix"] + "DATABASE_URL"])).path[1:] for s in SERVICES
    }
    assert dbs == urls, f"init script creates {dbs}, services use {urls}"
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])


@pytest.mark.parametrize("service", SERVICES)
def test_compose_service(service: str) -> None:
    c = compose()
    svc = c["services"][service]
    cli, prefix = SERVICES[service]["cli"], SERVICES[service]["prefix"]
    assert svc["image"] == f"relief/{service}:dev"
    assert svc["build"] == {
        "context": ".",
        "dockerfile": "deploy/docker/Dockerfile",
        "args": {"SERVICE": service},
    }
    command = svc["command"] if isinstance(svc["command"], str) else " ".join(svc["command"])
    migrate = command.find(f"{cli} migrate &&")
    serve = command.find(f"{cli} serve --host 0.0.0.0 --port {APP_PORT}")
    assert 0 <= migrate < serve, f"{service}: migrate, then serve: {command!r}"

    health = " ".join(svc["healthcheck"]["test"])
    assert f"127.0.0.1:{APP_PORT}/readyz" in health
    assert any(p.endswith(f":{APP_PORT}") for p in svc["ports"])

    env = {k: str(v) for k, v in svc["environment"].items()}
    assert set(env) == expected_env(service)
    url = urlsplit(env[prefix + "DATABASE_URL"])
    assert (url.scheme, url.hostname, url.port) == ("postgresql", "postgres", 5432)
    assert url.username and url.password == c["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert url.username == c["services"]["postgres"]["environment"]["POSTGRES_USER"]
    assert env[prefix + "KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env[prefix + "TOPIC_PARTITIONS"] == str(payer_partitions())
    assert env[prefix + "TOPIC_REPLICATION_FACTOR"] == str(topics_source()["replication_factor"]["compose"])

    # Key files are compose secrets, mounted at /run/secrets/<name>.
    for var in (prefix + "DATA_KEY_FILE", "AUTH_JWT_PUBLIC_KEY_FILE"):
        path = env[var]
        assert path.startswith("/run/secrets/"), var
        name = path[len("/run/secrets/") :]
        assert name in svc["secrets"], f"{service}: {var} names secret {name} that is not mounted"
        assert name in c["secrets"], f"secret {name} is not defined"
    assert f"{service.replace('-', '_')}_data_key" in svc["secrets"], "each service has its own data key"

    assert svc["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "kafka": {"condition": "service_healthy"},
        "kafka-topics": {"condition": "service_completed_successfully"},
    }


def test_compose_host_ports_are_distinct() -> None:
    ports = [p.rsplit(":", 1)[0] for s in compose()["services"].values() for p in s.get("ports", [])]
    assert len(ports) == len(set(ports)), ports


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_dev_secrets_script_writes_every_compose_secret(tmp_path: Path) -> None:
    out = tmp_path / "secrets"
    subprocess.run(
        ["sh", str(DEPLOY / "compose" / "make-dev-secrets.sh"), str(out)], check=True, timeout=120, capture_output=True
    )
    for name, secret in compose()["secrets"].items():
        assert secret["file"].startswith("./var/compose-secrets/"), name
        written = out / Path(secret["file"]).name
        assert written.is_file(), f"make-dev-secrets.sh does not write {written.name} (secret {name})"
        assert written.stat().st_mode & stat.S_IROTH, f"{written.name} must be readable by the service user"
    assert base64.b64decode((out / "declaration-data.key").read_text().strip(), validate=True).__len__() == 32
    public_key = load_pem_public_key((out / "jwt-public.pem").read_bytes())
    assert isinstance(public_key, Ed25519PublicKey), "eventkit verifies EdDSA (Ed25519) or RS256 tokens"
    assert not (out / "jwt-private.pem").stat().st_mode & (stat.S_IRGRP | stat.S_IROTH)


# --------------------------------------------------------------------------- compose: topic job


STUB = """#!{python}
import json, os, sys
args = sys.argv[1:]
state_file = os.environ["STUB_STATE"]
state = json.load(open(state_file)) if os.path.exists(state_file) else {{}}
topic = args[args.index("--topic") + 1]
if "--create" in args:
    configs = [args[i + 1] for i, a in enumerate(args) if a == "--config"]
    state.setdefault(topic, {{
        "partitions": int(args[args.index("--partitions") + 1]),
        "replication_factor": int(args[args.index("--replication-factor") + 1]),
        "config": dict(c.split("=", 1) for c in configs),
        "bootstrap": args[args.index("--bootstrap-server") + 1],
    }})
    json.dump(state, open(state_file, "w"))
elif "--describe" in args:
    partitions = state[topic]["partitions"] + int(os.environ.get("STUB_SKEW", "0"))
    print(f"Topic: {{topic}}\\tTopicId: x\\tPartitionCount: {{partitions}}\\tReplicationFactor: 1\\tConfigs: ")
"""


def run_topic_script(tmp_path: Path, skew: int = 0) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    stub = tmp_path / "kafka-topics.sh"
    stub.write_text(STUB.format(python=sys.executable))
    stub.chmod(0o755)
    state = tmp_path / "state.json"
    env = dict(os.environ, KAFKA_TOPICS=str(stub), STUB_STATE=str(state), STUB_SKEW=str(skew))
    env.update({k: str(v) for k, v in compose()["services"]["kafka-topics"]["environment"].items()})
    result = subprocess.run(
        ["sh", str(DEPLOY / "compose" / "create-topics.sh")], env=env, capture_output=True, text=True, timeout=120
    )
    return result, (json.loads(state.read_text()) if state.exists() else {})


def test_compose_topic_job_creates_exactly_the_topic_list(tmp_path: Path) -> None:
    result, created = run_topic_script(tmp_path)
    assert result.returncode == 0, result.stderr
    assert {n: {"partitions": t["partitions"], "config": t["config"]} for n, t in created.items()} == topic_table()
    rf = topics_source()["replication_factor"]["compose"]
    assert {t["replication_factor"] for t in created.values()} == {rf}
    assert {t["bootstrap"] for t in created.values()} == {"kafka:9092"}


def test_compose_topic_job_fails_on_a_wrong_partition_count(tmp_path: Path) -> None:
    result, _ = run_topic_script(tmp_path, skew=1)
    assert result.returncode != 0
    assert "expected" in result.stderr


# --------------------------------------------------------------------------- k8s: kustomization and schemas


def test_kustomization_lists_every_manifest() -> None:
    k = kustomization()
    assert k["namespace"] == "relief"
    listed = {p.resolve() for p in k8s_files()}
    for p in listed:
        assert p.is_file(), f"kustomization lists missing {p}"
    on_disk = {
        p.resolve() for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml" and not p.name.endswith(".example.yaml")
    }
    assert on_disk == listed, f"not in kustomization.yaml: {sorted(map(str, on_disk - listed))}"


def test_every_resource_is_in_the_relief_namespace() -> None:
    for doc in k8s_docs():
        if doc["kind"] == "Namespace":
            assert doc["metadata"]["name"] == "relief"
        else:
            assert doc["metadata"].get("namespace") == "relief", ref(doc)
    names = [(d["kind"], d["metadata"]["name"]) for d in k8s_docs()]
    assert len(names) == len(set(names)), "duplicate resources"


def builtin_docs() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in [*k8s_files(), K8S / "secrets.example.yaml"]:
        for doc in load_yaml_docs(path):
            if not is_strimzi(doc):
                out.append((f"{path.relative_to(K8S)}:{ref(doc)}", doc))
    return out


@pytest.mark.parametrize("doc", [d for _, d in builtin_docs()], ids=[i for i, _ in builtin_docs()])
def test_builtin_resource_is_valid_kubernetes(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


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
    deployment = copy.deepcopy(the(k8s_docs(), "Deployment", "declaration"))
    breakage(deployment)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


def kubectl() -> str | None:
    return shutil.which("kubectl")


@pytest.mark.skipif(kubectl() is None, reason="kubectl (for its built-in kustomize) not installed")
def test_kustomize_build_renders_valid_resources() -> None:
    result = subprocess.run([str(kubectl()), "kustomize", str(K8S)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    built = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert sorted(map(ref, built)) == sorted(map(ref, k8s_docs()))
    for doc in built:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "relief", ref(doc)
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "relief", ref(doc)
        if not is_strimzi(doc):
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


# --------------------------------------------------------------------------- k8s: Strimzi


def kafka_cluster() -> dict[str, Any]:
    clusters = find(k8s_docs(), "Kafka")
    assert len(clusters) == 1
    return clusters[0]


def test_strimzi_kafka_is_kraft_with_replication() -> None:
    kafka = kafka_cluster()
    assert kafka["apiVersion"] == f"{STRIMZI_GROUP}/v1beta2"
    annotations = kafka["metadata"]["annotations"]
    assert annotations["strimzi.io/kraft"] == "enabled"
    assert annotations["strimzi.io/node-pools"] == "enabled"
    spec = kafka["spec"]
    assert "zookeeper" not in spec
    assert str(spec["kafka"]["version"]) == "3.9.1"
    config = {k: str(v).lower() for k, v in spec["kafka"]["config"].items()}
    assert config["min.insync.replicas"] == "2"
    assert config["default.replication.factor"] == "3"
    assert config["offsets.topic.replication.factor"] == "3"
    assert config["transaction.state.log.replication.factor"] == "3"
    assert config["transaction.state.log.min.isr"] == "2"
    assert config["auto.create.topics.enable"] == "false"
    plain = [x for x in spec["kafka"]["listeners"] if x["port"] == 9092]
    assert plain and plain[0]["tls"] is False and plain[0]["type"] == "internal"
    assert "topicOperator" in spec["entityOperator"], "KafkaTopic resources need the topic operator"


def test_strimzi_node_pool() -> None:
    cluster = kafka_cluster()["metadata"]["name"]
    pools = find(k8s_docs(), "KafkaNodePool")
    assert len(pools) == 1
    pool = pools[0]
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == cluster
    assert pool["spec"]["replicas"] == 3
    assert set(pool["spec"]["roles"]) == {"controller", "broker"}
    storage = pool["spec"]["storage"]
    assert storage["type"] in {"jbod", "persistent-claim"}
    if storage["type"] == "jbod":
        assert all(v["type"] == "persistent-claim" and v.get("deleteClaim") is False for v in storage["volumes"])
    rf = topics_source()["replication_factor"]["kubernetes"]
    assert pool["spec"]["replicas"] >= rf > int(kafka_cluster()["spec"]["kafka"]["config"]["min.insync.replicas"])


def test_strimzi_topics_match_the_topic_list() -> None:
    cluster = kafka_cluster()["metadata"]["name"]
    rf = topics_source()["replication_factor"]["kubernetes"]
    assert rf == 3
    topics = find(k8s_docs(), "KafkaTopic")
    seen = {}
    for t in topics:
        assert t["apiVersion"] == f"{STRIMZI_GROUP}/v1beta2"
        assert t["metadata"]["labels"]["strimzi.io/cluster"] == cluster, ref(t)
        name = t["spec"].get("topicName", t["metadata"]["name"])
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", t["metadata"]["name"]), ref(t)
        assert t["spec"]["replicas"] == rf, ref(t)
        assert t["spec"]["config"]["retention.ms"] == "-1", ref(t)
        seen[name] = {"partitions": t["spec"]["partitions"], "config": {k: str(v) for k, v in t["spec"]["config"].items()}}
    assert len(seen) == len(topics), "two KafkaTopics for one topic"
    assert seen == topic_table()


# --------------------------------------------------------------------------- k8s: services


def port_number(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    named = [p["containerPort"] for p in container.get("ports", []) if p.get("name") == port]
    assert named, f"port {port!r} is not declared by container {container['name']}"
    return int(named[0])


def configmap_data(name: str) -> dict[str, str]:
    return cast(dict[str, str], the(k8s_docs(), "ConfigMap", name)["data"])


def container_env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every variable the container gets: name -> {value} or {valueFrom}."""
    env: dict[str, dict[str, Any]] = {}
    for source in container.get("envFrom", []):
        assert "configMapRef" in source, "only ConfigMaps are loaded whole; secrets go by key"
        for k, v in configmap_data(source["configMapRef"]["name"]).items():
            env[source.get("prefix", "") + k] = {"value": v}
    for var in container.get("env", []):
        env[var["name"]] = {k: v for k, v in var.items() if k != "name"}
    return env


def mounted_file(pod: dict[str, Any], container: dict[str, Any], path: str) -> dict[str, Any]:
    """The Secret volume that provides `path` in the container (asserting it does)."""
    directory, filename = path.rsplit("/", 1)
    mounts = [m for m in container.get("volumeMounts", []) if m["mountPath"] == directory]
    assert mounts, f"{container['name']}: nothing mounted at {directory}"
    volume = next(v for v in pod["volumes"] if v["name"] == mounts[0]["name"])
    assert "secret" in volume, f"{path} must come from a Secret"
    items = volume["secret"].get("items")
    if items:
        assert filename in [i["path"] for i in items], f"{path}: no such item in the Secret volume"
    return cast(dict[str, Any], volume["secret"])


def example_secrets() -> dict[str, dict[str, str]]:
    return {d["metadata"]["name"]: d["stringData"] for d in load_yaml_docs(K8S / "secrets.example.yaml")}


@pytest.mark.parametrize("service", SERVICES)
def test_k8s_deployment(service: str) -> None:
    docs = k8s_docs()
    cli, prefix = SERVICES[service]["cli"], SERVICES[service]["prefix"]
    deployment = the(docs, "Deployment", service)
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]["spec"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()

    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod.get("automountServiceAccountToken") is False

    (init,) = [c for c in pod["initContainers"] if c["name"] == "migrate"]
    assert init.get("command", []) + init.get("args", []) == [cli, "migrate"]
    (main,) = pod["containers"]
    assert main.get("command", []) + main.get("args", []) == [cli, "serve", "--host", "0.0.0.0", "--port", str(APP_PORT)]

    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = main[probe]["httpGet"]
        assert get["path"] == path, f"{service} {probe}"
        assert port_number(main, get["port"]) == APP_PORT, f"{service} {probe}"

    secrets = example_secrets()
    for container in (init, main):
        name = f"{service}/{container['name']}"
        assert container["image"] == f"relief/{service}:dev", name
        resources = container["resources"]
        for part in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources[part]), f"{name}: {part}"
        sc = container["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True, name
        assert sc["allowPrivilegeEscalation"] is False, name
        assert sc["capabilities"]["drop"] == ["ALL"], name
        assert sc.get("runAsNonRoot", pod["securityContext"]["runAsNonRoot"]) is True, name
        assert any(m["mountPath"] == "/tmp" for m in container["volumeMounts"]), f"{name}: writable /tmp"

        env = container_env(container)
        assert set(env) == expected_env(service), name
        db = env[prefix + "DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert db["name"] in secrets and db["key"] in secrets[db["name"]], f"{name}: {db}"
        assert env[prefix + "KAFKA_BOOTSTRAP_SERVERS"]["value"] == f"{kafka_cluster()['metadata']['name']}-kafka-bootstrap:9092"
        assert env[prefix + "TOPIC_PARTITIONS"]["value"] == str(payer_partitions())
        assert env[prefix + "TOPIC_REPLICATION_FACTOR"]["value"] == str(topics_source()["replication_factor"]["kubernetes"])
        data_key = mounted_file(pod, container, env[prefix + "DATA_KEY_FILE"]["value"])
        assert data_key["secretName"] in secrets, name
        assert data_key["secretName"] != "relief-jwt-public-key"
        jwt = mounted_file(pod, container, env["AUTH_JWT_PUBLIC_KEY_FILE"]["value"])
        assert jwt["secretName"] in secrets, name


@pytest.mark.parametrize("service", SERVICES)
def test_k8s_service_and_disruption_budget(service: str) -> None:
    docs = k8s_docs()
    deployment = the(docs, "Deployment", service)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    (main,) = deployment["spec"]["template"]["spec"]["containers"]
    svc = the(docs, "Service", service)
    assert svc["spec"]["selector"].items() <= labels.items()
    assert [port_number(main, p["targetPort"]) for p in svc["spec"]["ports"]] == [APP_PORT]
    pdb = the(docs, "PodDisruptionBudget", service)
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"]["minAvailable"] < deployment["spec"]["replicas"]
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] == "/metrics"
    assert annotations["prometheus.io/port"] == str(APP_PORT)


def test_k8s_postgres() -> None:
    docs = k8s_docs()
    sts = the(docs, "StatefulSet", "postgres")
    assert the(docs, "Service", sts["spec"]["serviceName"])["spec"]["clusterIP"] == "None"
    assert sts["spec"]["volumeClaimTemplates"], "PostgreSQL keeps its data on a PersistentVolumeClaim"
    (container,) = sts["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "postgres:15"
    assert sts["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    sql = "\n".join(configmap_data("postgres-init").values())
    dbs = create_databases(sql)
    assert dbs == create_databases((DEPLOY / "compose" / "postgres-init.sql").read_text(encoding="utf-8"))
    urls = {urlsplit(v["database-url"]) for k, v in example_secrets().items() if "database-url" in v}
    assert {u.path[1:] for u in urls} == dbs
    assert {(u.hostname, u.port) for u in urls} == {("postgres", 5432)}
    the(docs, "Service", "postgres")


def test_network_policies_let_the_services_in() -> None:
    policies = find(k8s_docs(), "NetworkPolicy")
    assert any(p["spec"]["podSelector"] == {} and "ingress" not in p["spec"] for p in policies), "default deny"
    api = [p for p in policies if p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component") == "api"]
    assert api and any(port["port"] == APP_PORT for p in api for rule in p["spec"]["ingress"] for port in rule["ports"])
    for service in SERVICES:
        labels = the(k8s_docs(), "Deployment", service)["spec"]["template"]["metadata"]["labels"]
        assert api[0]["spec"]["podSelector"]["matchLabels"].items() <= labels.items(), service


# --------------------------------------------------------------------------- both deployments


def test_both_deployments_run_the_same_services() -> None:
    compose_services = set(compose()["services"]) - {"kafka", "kafka-topics", "postgres"}
    k8s_services = {d["metadata"]["name"] for d in find(k8s_docs(), "Deployment")}
    assert compose_services == k8s_services == set(SERVICES)


def test_both_deployments_create_the_same_topics(tmp_path: Path) -> None:
    result, created = run_topic_script(tmp_path)
    assert result.returncode == 0, result.stderr
    k8s_topics = {t["spec"].get("topicName", t["metadata"]["name"]) for t in find(k8s_docs(), "KafkaTopic")}
    assert set(created) == k8s_topics == set(topic_table())


# --------------------------------------------------------------------------- image


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (DEPLOY / "docker" / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), rest.strip()))
    return out


def test_dockerfile() -> None:
    ins = dockerfile_instructions()
    assert ins[0] == ("FROM", "python:3.11-slim")
    assert ("ARG", "SERVICE") in ins
    runs = [rest for op, rest in ins if op == "RUN"]
    assert any(re.search(r"pip install -r requirements\.txt\b", r) for r in runs)
    installs = [shlex.split(r) for r in runs if "--no-deps" in r]
    assert installs, "the service and libs are installed with --no-deps"
    words = installs[0]
    assert words[words.index("--no-deps") + 1 :][:3] == ["./libs", "./libs/refdata", "./services/${SERVICE}"]
    users = [rest for op, rest in ins if op == "USER"]
    assert users and users[-1].split(":")[0] == "10001", "non-root numeric user, as the k8s securityContext says"
    assert ("EXPOSE", str(APP_PORT)) in ins
    ignore = (DEPLOY / "docker" / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "var"} <= set(ignore)


def test_no_package_index_is_named() -> None:
    pattern = re.compile(r"index[-_]url|find[-_]links|trusted[-_]host|PIP_INDEX|PIP_EXTRA", re.I)
    paths = [COMPOSE_FILE, *[p for p in DEPLOY.rglob("*") if p.is_file()]]
    offenders = [str(p.relative_to(ROOT)) for p in paths if pattern.search(p.read_text(encoding="utf-8", errors="replace"))]
    assert not offenders, offenders
