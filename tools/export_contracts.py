"""Write the contracts other teams rely on (`make contracts`):

- contracts/openapi/<service>.json: each service's OpenAPI document (with x-roles);
- contracts/events/<event name>.v<version>.json: the JSON Schema of every event type's data;
- contracts/asyncapi.yaml: every topic of deploy/topics.yaml and every message on it (AsyncAPI 3.0,
  built by tools/asyncapi_export.py).

tests/test_contracts.py fails when a committed file differs from what the code produces. A schema
file of an older event version is never deleted: events of that version stay in the log forever.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
TOPICS_FILE = ROOT / "deploy" / "topics.yaml"
SERVICES = {
    "declaration": "declaration",
    "relief-calc": "relief_calc",
    "refund": "refund",
    "classification": "classification",
    "subscriptions": "subscriptions",
    "reporting": "reporting",
}


def sibling(name: str) -> Any:
    """A module of tools/ by file (tools/ is no package, and putting it on sys.path would shadow
    installed packages with its folders)."""
    spec = importlib.util.spec_from_file_location(f"relief_tools_{name}", Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def spec_of(service: str) -> Any:
    return importlib.import_module(f"{SERVICES[service]}.service").SPEC


def openapi_of(service: str) -> dict[str, object]:
    from eventkit.cli import build_app

    spec = spec_of(service)
    with tempfile.TemporaryDirectory() as tmp:
        settings = spec.settings_cls(database_url=f"sqlite+aiosqlite:///{tmp}/openapi.db")
        return build_app(spec, settings).openapi()  # type: ignore[no-any-return]


def event_schemas() -> dict[str, dict[str, Any]]:
    """file name → JSON Schema, for every event class every service registers."""
    from eventkit.contracts import event_schema

    out: dict[str, dict[str, Any]] = {}
    for service in SERVICES:
        for cls in spec_of(service).definition.registry.classes():
            out[f"{cls.name}.v{cls.version}.json"] = event_schema(cls)
    return out


def released_version() -> str:
    """The version of the last released contracts (contracts/released/VERSION)."""
    path = CONTRACTS / "released" / "VERSION"
    return path.read_text(encoding="utf-8").strip() if path.exists() else "0"


def asyncapi_text() -> str:
    asyncapi = sibling("asyncapi_export")
    definitions = [spec_of(service).definition for service in SERVICES]
    return asyncapi.render(asyncapi.build(definitions, TOPICS_FILE, version=released_version()))  # type: ignore[no-any-return]


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main() -> int:
    out = CONTRACTS / "openapi"
    out.mkdir(parents=True, exist_ok=True)
    for service in SERVICES:
        (out / f"{service}.json").write_text(render(openapi_of(service)), encoding="utf-8")
    events = CONTRACTS / "events"
    events.mkdir(parents=True, exist_ok=True)
    for name, schema in event_schemas().items():
        (events / name).write_text(render(schema), encoding="utf-8")
    (CONTRACTS / "asyncapi.yaml").write_text(asyncapi_text(), encoding="utf-8")
    print(
        f"wrote contracts/openapi/ ({len(SERVICES)}), contracts/events/ ({len(event_schemas())}) and contracts/asyncapi.yaml",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
