"""Shared loaders and facts of the deployment tests (tests/deploy/test_*.py).

The programs' contract (entry points, environment prefixes, ports) is listed here once; the
environment each program really reads comes from its Settings class, imported.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import kustomize_lite
import yaml  # type: ignore[import-untyped]  # no types-PyYAML in requirements.txt

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
BASE = K8S / "base"
OVERLAYS = {"dev": K8S / "overlays" / "dev", "production": K8S / "overlays" / "production"}
COMPOSE_FILE = ROOT / "docker-compose.yml"
TOPICS_FILE = DEPLOY / "topics.yaml"
SECRETS_EXAMPLE = K8S / "secrets.example.yaml"
K8S_VERSION = "1.32.0"
APP_PORT = 8000
NAMESPACE = "relief"


@dataclass(frozen=True)
class App:
    """A program the deployments run: entry point = name, env prefix, settings class, package."""

    name: str
    prefix: str
    settings: str  # "module:Class"
    package: str  # folder under the repository root
    host_port: int
    port: int = APP_PORT

    @property
    def package_exists(self) -> bool:
        return (ROOT / self.package / "pyproject.toml").is_file()

    @property
    def data_key_secret(self) -> str:
        return self.name.replace("-", "_") + "_data_key"


CORE_SERVICES = {
    "declaration": App("declaration", "DECLARATION_", "declaration.settings:Settings", "services/declaration", 8001),
    "relief-calc": App("relief-calc", "RELIEF_CALC_", "relief_calc.settings:Settings", "services/relief-calc", 8002),
    "refund": App("refund", "REFUND_", "refund.settings:Settings", "services/refund", 8003),
    "classification": App(
        "classification", "CLASSIFICATION_", "classification.settings:Settings", "services/classification", 8004
    ),
}
# Built on another branch; checked like the others once docker-compose.yml runs it.
OPTIONAL_SERVICES = {
    "subscriptions": App("subscriptions", "SUBSCRIPTIONS_", "subscriptions.settings:Settings", "services/subscriptions", 8005),
    "reporting": App("reporting", "REPORTING_", "reporting.settings:Settings", "services/reporting", 8006),
}
BANKSIM = App("banksim", "BANKSIM_", "banksim.config:Settings", "tools/banksim", 8900, 8900)
INFRA = {"kafka", "kafka-topics", "postgres"}
SERVICE_ENV_SUFFIXES = (
    "DATABASE_URL",
    "KAFKA_BOOTSTRAP_SERVERS",
    "TOPIC_PARTITIONS",
    "TOPIC_REPLICATION_FACTOR",
    "DATA_KEY_FILE",
)
BANK_CALLBACK_PATHS = {"BANKSIM_CALLBACK_URL": "/v1/bank/status-reports", "BANKSIM_NOTIFY_URL": "/v1/bank/notifications"}


def services() -> dict[str, App]:
    """The platform's services the deployments run: the four, plus subscriptions once compose runs it."""
    out = dict(CORE_SERVICES)
    for name, app in OPTIONAL_SERVICES.items():
        if name in compose()["services"]:
            out[name] = app
    return out


def required_env(app: App) -> set[str]:
    """What each deployment must set for a service (beyond that, anything its Settings read)."""
    env = {app.prefix + s for s in SERVICE_ENV_SUFFIXES} | {"AUTH_JWT_PUBLIC_KEY_FILE"}
    if app.name == "refund":
        env |= {"REFUND_BANK_URL", "REFUND_BANK_CALLBACK_SECRET"}
    return env


# --------------------------------------------------------------------------- what programs read


@functools.cache
def settings_env(app: App) -> frozenset[str]:
    """Every environment variable the program's Settings class reads (imported, not guessed)."""
    module_name, class_name = app.settings.split(":")
    settings = getattr(importlib.import_module(module_name), class_name)
    prefix = settings.model_config.get("env_prefix", "")
    assert prefix == app.prefix, f"{app.name}: Settings read {prefix!r}, the deployments use {app.prefix!r}"
    names = {prefix + field.upper() for field in settings.model_fields}
    from eventkit import settings as kernel

    if issubclass(settings, kernel.ServiceSettings):
        names |= set(kernel._PLAIN_ENV_FALLBACKS.values())
        names |= {n for group in kernel._PLAIN_ENV_FALLBACK_GROUPS for n in group.values()}
    if app is BANKSIM:
        names.add("BANKSIM_CONFIG")  # the TOML file (banksim.config.Settings.settings_customise_sources)
    return frozenset(names)


@functools.cache
def http_paths(app: App) -> frozenset[str]:
    """The GET/POST paths the program serves: its exported OpenAPI, or the app's routes."""
    openapi = ROOT / "contracts" / "openapi" / f"{app.name}.json"
    if openapi.is_file():
        return frozenset(json.loads(openapi.read_text(encoding="utf-8"))["paths"])
    if app is BANKSIM:
        from banksim.app import create_app
        from banksim.config import Settings

        return frozenset(r.path for r in create_app(Settings()).routes)  # type: ignore[attr-defined]
    return frozenset({"/healthz", "/readyz", "/metrics"})  # the kernel's operational routes (eventkit.web.app)


# --------------------------------------------------------------------------- files


def load_yaml_docs(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def topics_source() -> dict[str, Any]:
    return cast(dict[str, Any], yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8")))


def topic_table() -> dict[str, dict[str, Any]]:
    """name -> {partitions, config (values as strings)} from deploy/topics.yaml."""
    return {
        t["name"]: {"partitions": t["partitions"], "config": {str(k): str(v) for k, v in (t.get("config") or {}).items()}}
        for t in topics_source()["topics"]
    }


def payer_partitions() -> int:
    counts = {t["partitions"] for t in topics_source()["topics"] if t.get("scope") == "payer"}
    assert len(counts) == 1, f"payer-scoped topics must share one partition count: {counts}"
    return int(counts.pop())


@functools.cache
def _compose_cached() -> str:
    return COMPOSE_FILE.read_text(encoding="utf-8")


def compose() -> dict[str, Any]:
    return cast(dict[str, Any], yaml.safe_load(_compose_cached()))


def interpolated(text: str) -> str:
    """Compose's interpolation of a literal: "$$" is one "$" (the file uses no variables)."""
    assert not re.search(r"(?<!\$)\$(?!\$)\{?[A-Za-z_]", text.replace("$$", "")), f"unexpected variable in {text!r}"
    return text.replace("$$", "$")


def compose_command(service: dict[str, Any]) -> str:
    command = service["command"]
    return interpolated(command if isinstance(command, str) else " ".join(command))


def exported_env(command: str) -> dict[str, str]:
    """Variables a container's shell command exports from a secret file: name -> secret path."""
    return dict(re.findall(r'export ([A-Z][A-Z0-9_]*)="\$\(cat (/run/secrets/[a-z0-9_]+)\)"', command))


def create_databases(sql: str) -> dict[str, str]:
    """database -> owner (None: the connecting user) from CREATE DATABASE statements."""
    return {
        m.group(1): (m.group(2) or "")
        for m in re.finditer(
            r"^\s*CREATE\s+DATABASE\s+\"?([A-Za-z0-9_]+)\"?(?:\s+OWNER\s+\"?([A-Za-z0-9_]+)\"?)?", sql, re.I | re.M
        )
    }


def render_module() -> Any:
    spec = importlib.util.spec_from_file_location("relief_render_topics", DEPLOY / "render_topics.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- k8s


@functools.cache
def _rendered(directory: Path) -> str:
    return json.dumps(kustomize_lite.build(directory))


def render(directory: Path) -> list[dict[str, Any]]:
    """The objects of a kustomization, rendered offline by kustomize_lite (a fresh copy)."""
    return cast(list[dict[str, Any]], json.loads(_rendered(directory)))


def kubectl() -> str | None:
    return shutil.which("kubectl")


def kubectl_kustomize(directory: Path) -> list[dict[str, Any]]:
    exe = kubectl()
    assert exe
    result = subprocess.run([exe, "kustomize", str(directory)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def example_secrets() -> dict[str, dict[str, str]]:
    return {d["metadata"]["name"]: d["stringData"] for d in load_yaml_docs(SECRETS_EXAMPLE)}


def find(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]


def the(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = find(docs, kind, name)
    assert len(found) == 1, f"expected exactly one {kind}/{name}, found {len(found)}"
    return found[0]


def ref(doc: dict[str, Any]) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A LabelSelector (matchLabels and In/NotIn/Exists/DoesNotExist expressions) against labels."""
    if not selector:
        return True
    if not (selector.get("matchLabels") or {}).items() <= labels.items():
        return False
    for e in selector.get("matchExpressions") or []:
        key, op, values = e["key"], e["operator"], e.get("values") or []
        ok = {
            "In": labels.get(key) in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


def pod_template(doc: dict[str, Any]) -> dict[str, Any]:
    return cast(dict[str, Any], doc["spec"]["template"])


def port_number(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    named = [p["containerPort"] for p in container.get("ports", []) if p.get("name") == port]
    assert named, f"port {port!r} is not declared by container {container['name']}"
    return int(named[0])


def container_env(docs: list[dict[str, Any]], container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every variable the container gets: name -> {value} or {valueFrom}."""
    env: dict[str, dict[str, Any]] = {}
    for source in container.get("envFrom", []):
        assert "configMapRef" in source, "only ConfigMaps are loaded whole; secrets go by key"
        for k, v in the(docs, "ConfigMap", source["configMapRef"]["name"])["data"].items():
            env[source.get("prefix", "") + k] = {"value": v}
    for var in container.get("env", []):
        env[var["name"]] = {k: v for k, v in var.items() if k != "name"}
    return env


def mounted_secret(pod: dict[str, Any], container: dict[str, Any], path: str) -> dict[str, Any]:
    """The Secret volume that provides the file `path` in the container (asserting it does)."""
    directory, filename = path.rsplit("/", 1)
    mounts = [m for m in container.get("volumeMounts", []) if m["mountPath"] == directory]
    assert mounts, f"{container['name']}: nothing mounted at {directory}"
    volume = next(v for v in pod["volumes"] if v["name"] == mounts[0]["name"])
    assert "secret" in volume, f"{path} must come from a Secret"
    items = volume["secret"].get("items")
    assert items and filename in [i["path"] for i in items], f"{path}: no such item in the Secret volume"
    return cast(dict[str, Any], volume["secret"])


def kafka_cluster(docs: list[dict[str, Any]]) -> dict[str, Any]:
    clusters = find(docs, "Kafka")
    assert len(clusters) == 1
    return clusters[0]
