"""docker-compose.yml: the Compose Specification schema, the broker, the database, every service,
the bank simulator, and the environment each program really reads (its Settings class)."""

from __future__ import annotations

import base64
import copy
import importlib.util
import json
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from deploykit import (
    APP_PORT,
    BANK_CALLBACK_PATHS,
    BANKSIM,
    COMPOSE_FILE,
    CORE_SERVICES,
    DEPLOY,
    INFRA,
    OPTIONAL_SERVICES,
    App,
    compose,
    compose_command,
    create_databases,
    exported_env,
    http_paths,
    payer_partitions,
    required_env,
    services,
    settings_env,
    topics_source,
)

SERVICE_DEPENDS_ON = {
    "postgres": {"condition": "service_healthy"},
    "kafka": {"condition": "service_healthy"},
    "kafka-topics": {"condition": "service_completed_successfully"},
}


def compose_schema() -> dict[str, Any]:
    """The Compose Specification schema vendored by check-jsonschema (no network needed)."""
    spec = importlib.util.find_spec("check_jsonschema")  # locate it without importing its CLI
    assert spec and spec.submodule_search_locations, "check-jsonschema is not installed"
    path = Path(spec.submodule_search_locations[0]) / "builtin_schemas" / "vendor" / "compose-spec.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["title"] == "Compose Specification"
    return cast(dict[str, Any], schema)


def compose_errors(document: dict[str, Any]) -> list[str]:
    cls = jsonschema.Draft7Validator
    validator = cls(compose_schema(), format_checker=cls.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(document)]


def healthcheck_url(service: dict[str, Any]) -> str:
    test = " ".join(service["healthcheck"]["test"])
    match = re.search(r"http://127\.0\.0\.1:\d+/[a-z]+", test)
    assert match, f"no health URL in {test!r}"
    return match.group(0)


def container_env(service: dict[str, Any]) -> dict[str, str]:
    """The environment the program sees: `environment` plus what the command exports from secrets."""
    env = {k: str(v) for k, v in service.get("environment", {}).items()}
    if "command" in service:
        for name, path in exported_env(compose_command(service)).items():
            env[name] = f"<file {path}>"
    return env


# --------------------------------------------------------------------------- schema


def test_compose_file_is_valid_against_the_compose_spec() -> None:
    errors = compose_errors(compose())
    assert not errors, "docker-compose.yml breaks the Compose Specification:\n" + "\n".join(errors)


def test_compose_file_passes_check_jsonschema_cli() -> None:
    cmd = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
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


def test_compose_runs_the_whole_system() -> None:
    names = set(compose()["services"])
    assert names == INFRA | set(services()) | {BANKSIM.name}, names
    for name, svc in compose()["services"].items():
        if name != "kafka-topics":  # the one-shot job
            assert "healthcheck" in svc, f"{name} has no health check"
        for dep, cond in (svc.get("depends_on") or {}).items():
            assert dep in names, f"{name} depends on unknown {dep}"
            assert cond["condition"] in {"service_healthy", "service_completed_successfully"}, f"{name} -> {dep}"


def test_optional_services_are_deployed_only_once_they_exist() -> None:
    for name, app in OPTIONAL_SERVICES.items():
        if name in compose()["services"]:
            assert app.package_exists, f"docker-compose.yml runs {name}, but {app.package} does not exist yet"
    assert "# subscriptions:" in COMPOSE_FILE.read_text(encoding="utf-8") or "subscriptions" in compose()["services"]


# --------------------------------------------------------------------------- infrastructure


def test_compose_kafka_is_a_single_kraft_node() -> None:
    kafka = compose()["services"]["kafka"]
    assert kafka["image"] == "apache/kafka:3.9.1"
    env = {k: str(v) for k, v in kafka["environment"].items()}
    assert not [k for k in env if "ZOOKEEPER" in k], "KRaft mode has no ZooKeeper"
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert "CONTROLLER://:9093" in env["KAFKA_LISTENERS"].split(",")
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] == "CONTROLLER"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    protocol_map = dict(p.split(":") for p in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    for listener in env["KAFKA_LISTENERS"].split(","):
        assert listener.split("://")[0] in protocol_map, listener
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", env["CLUSTER_ID"]), "CLUSTER_ID is a base64url UUID"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false", "topics come from deploy/topics.yaml only"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_LOG_RETENTION_MS"] == "-1"


def test_compose_topic_job() -> None:
    c = compose()
    job = c["services"]["kafka-topics"]
    assert job["image"] == c["services"]["kafka"]["image"]
    assert job["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert job.get("restart", "no") == "no"
    mounts = {v.split(":")[0]: v.split(":")[1] for v in job["volumes"]}
    assert mounts["./deploy/compose/create-topics.sh"] in " ".join(job["entrypoint"])
    assert str(job["environment"]["REPLICATION_FACTOR"]) == str(topics_source()["replication_factor"]["compose"])
    assert job["environment"]["BOOTSTRAP_SERVERS"] == "kafka:9092"


def test_compose_postgres_gives_each_service_its_own_role_and_database() -> None:
    pg = compose()["services"]["postgres"]
    assert pg["image"] == "postgres:15"
    init = [v for v in pg["volumes"] if ":/docker-entrypoint-initdb.d/" in v]
    assert init == ["./deploy/compose/postgres-init.sql:/docker-entrypoint-initdb.d/10-relief-databases.sql:ro"]
    sql = (DEPLOY / "compose" / "postgres-init.sql").read_text(encoding="utf-8")
    owners = create_databases(sql)
    roles = dict(re.findall(r"CREATE ROLE (\w+) LOGIN PASSWORD '([^']*)';", sql))
    urls = {s: urlsplit(compose()["services"][s]["environment"][app.prefix + "DATABASE_URL"]) for s, app in services().items()}
    assert set(owners) == {u.path[1:] for u in urls.values()}, "one database per service, no other"
    for service, url in urls.items():
        database = url.path[1:]
        assert url.username == owners[database], f"{service} must connect as its database's owner"
        assert roles.get(url.username) == url.password, f"{service}: role {url.username} and its password"
    assert len({u.username for u in urls.values()}) == len(urls), "no two services share a role"
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])


# --------------------------------------------------------------------------- services


@pytest.mark.parametrize("name", sorted(services()))
def test_compose_service(name: str) -> None:
    app = services()[name]
    c = compose()
    svc = c["services"][name]
    assert svc["image"] == f"relief/{name}:dev"
    assert svc["build"] == {"context": ".", "dockerfile": "deploy/docker/Dockerfile", "args": {"SERVICE": name}}
    command = compose_command(svc)
    migrate, serve = command.find(f"{name} migrate &&"), command.find(f"exec {name} serve --host 0.0.0.0 --port {APP_PORT}")
    assert 0 <= migrate < serve, f"{name}: migrate, then serve: {command!r}"
    assert healthcheck_url(svc) == f"http://127.0.0.1:{APP_PORT}/readyz"
    assert "/readyz" in http_paths(app)
    assert f"127.0.0.1:{app.host_port}:{APP_PORT}" in svc["ports"]

    env = container_env(svc)
    assert required_env(app) <= set(env), f"{name} lacks {sorted(required_env(app) - set(env))}"
    url = urlsplit(env[app.prefix + "DATABASE_URL"])
    assert (url.scheme, url.hostname, url.port) == ("postgresql", "postgres", 5432)
    assert env[app.prefix + "KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env[app.prefix + "TOPIC_PARTITIONS"] == str(payer_partitions())
    assert env[app.prefix + "TOPIC_REPLICATION_FACTOR"] == str(topics_source()["replication_factor"]["compose"])
    for var in (app.prefix + "DATA_KEY_FILE", "AUTH_JWT_PUBLIC_KEY_FILE"):
        secret = env[var].removeprefix("/run/secrets/")
        assert env[var].startswith("/run/secrets/") and secret in svc["secrets"], f"{name}: {var} names an unmounted secret"
    for secret in [*svc["secrets"], *exported_env(command).values()]:
        assert secret.removeprefix("/run/secrets/") in c["secrets"], f"{name}: secret {secret} is not defined"
    assert app.data_key_secret in svc["secrets"], "each service has its own data key"
    expected = dict(SERVICE_DEPENDS_ON, **({"banksim": {"condition": "service_healthy"}} if name == "refund" else {}))
    assert svc["depends_on"] == expected


@pytest.mark.parametrize("name", sorted([*CORE_SERVICES, BANKSIM.name]))
def test_compose_environment_is_read_by_the_program(name: str) -> None:
    """Every variable set for a program is a field of its Settings class (a typo would be ignored)."""
    app = BANKSIM if name == BANKSIM.name else CORE_SERVICES[name]
    unread = set(container_env(compose()["services"][name])) - settings_env(app)
    assert not unread, f"{name}: its Settings read none of {sorted(unread)}"


def test_the_bank_simulator_and_the_refund_service_are_wired_both_ways() -> None:
    c = compose()
    bank, refund = c["services"]["banksim"], c["services"]["refund"]
    assert bank["build"]["args"] == {"SERVICE": "banksim", "PACKAGE": BANKSIM.package}
    command = compose_command(bank)
    assert f"exec banksim serve --host 0.0.0.0 --port {BANKSIM.port}" in command
    assert healthcheck_url(bank) == f"http://127.0.0.1:{BANKSIM.port}/readyz"
    assert "/readyz" in http_paths(BANKSIM) and "/pain001" in http_paths(BANKSIM)
    assert f"127.0.0.1:{BANKSIM.host_port}:{BANKSIM.port}" in bank["ports"]
    # refund -> bank
    assert refund["environment"]["REFUND_BANK_URL"] == f"http://banksim:{BANKSIM.port}"
    # bank -> refund: both callback URLs are real endpoints of the refund service
    for var, path in BANK_CALLBACK_PATHS.items():
        url = urlsplit(bank["environment"][var])
        assert (url.hostname, url.port, url.path) == ("refund", APP_PORT, path), var
        assert path in http_paths(CORE_SERVICES["refund"]), f"refund serves no {path}"
    # one signing secret, from one file
    bank_secret = exported_env(command)["BANKSIM_SECRET"]
    refund_secret = exported_env(compose_command(refund))["REFUND_BANK_CALLBACK_SECRET"]
    assert bank_secret == refund_secret == "/run/secrets/bank_callback_secret"
    assert "bank_callback_secret" in bank["secrets"] and "bank_callback_secret" in refund["secrets"]
    ledger = bank["environment"]["BANKSIM_LEDGER"]
    assert any(v.endswith(":" + ledger.rsplit("/", 1)[0]) for v in bank["volumes"]), "the ledger survives a restart"


def test_compose_host_ports_are_distinct() -> None:
    ports = [p.rsplit(":", 1)[0] for s in compose()["services"].values() for p in s.get("ports", [])]
    assert len(ports) == len(set(ports)), ports
    assert all(p.startswith("127.0.0.1:") for p in ports), "host ports are bound to loopback"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_dev_secrets_script_writes_every_compose_secret(tmp_path: Path) -> None:
    out = tmp_path / "secrets"
    script = DEPLOY / "compose" / "make-dev-secrets.sh"
    subprocess.run(["sh", str(script), str(out)], check=True, timeout=120, capture_output=True)
    for name, secret in compose()["secrets"].items():
        assert secret["file"].startswith("./var/compose-secrets/"), name
        written = out / Path(secret["file"]).name
        assert written.is_file(), f"make-dev-secrets.sh does not write {written.name} (secret {name})"
        assert written.stat().st_mode & stat.S_IROTH, f"{written.name} must be readable by the service user"
    assert len(base64.b64decode((out / "declaration-data.key").read_text().strip(), validate=True)) == 32
    assert re.fullmatch(r"[0-9a-f]{64}", (out / "bank-callback.secret").read_text().strip())
    assert isinstance(load_pem_public_key((out / "jwt-public.pem").read_bytes()), Ed25519PublicKey)
    assert not (out / "jwt-private.pem").stat().st_mode & (stat.S_IRGRP | stat.S_IROTH)
    before = (out / "bank-callback.secret").read_text()
    subprocess.run(["sh", str(script), str(out)], check=True, timeout=120, capture_output=True)
    assert (out / "bank-callback.secret").read_text() == before, "existing secrets are kept"


def test_container_env_helper_sees_exported_secrets() -> None:
    fake: dict[str, Any] = {"environment": {"A_X": 1}, "command": ["sh", "-c", 'export A_Y="$$(cat /run/secrets/y)" && exec a']}
    assert container_env(fake) == {"A_X": "1", "A_Y": "<file /run/secrets/y>"}
    assert isinstance(BANKSIM, App)


def test_settings_env_comes_from_the_settings_classes() -> None:
    refund = settings_env(CORE_SERVICES["refund"])
    assert {"REFUND_BANK_URL", "REFUND_BANK_CALLBACK_SECRET", "REFUND_DATA_KEY_FILE", "KAFKA_BOOTSTRAP_SERVERS"} <= refund
    assert "REFUND_BANK_ULR" not in refund and "DECLARATION_DATABASE_URL" not in refund
    assert {"BANKSIM_SECRET", "BANKSIM_CALLBACK_URL", "BANKSIM_NOTIFY_URL", "BANKSIM_LEDGER"} <= settings_env(BANKSIM)
