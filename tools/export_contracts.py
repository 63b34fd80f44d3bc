"""Write the contracts other teams rely on (`make contracts`):

- contracts/openapi/<service>.json: each service's OpenAPI document (with x-roles);
- contracts/events/<event name>.v<version>.json: the JSON Schema of every event type's data.

tests/test_contracts.py fails when a committed file differs from what the code produces.
"""

from __future__ import annotations

import importlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SERVICES = {
    "declaration": "declaration",
    "relief-calc": "relief_calc",
    "refund": "refund",
    "classification": "classification",
    "subscriptions": "subscriptions",
}


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


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main() -> int:
    out = ROOT / "contracts" / "openapi"
    out.mkdir(parents=True, exist_ok=True)
    for service in SERVICES:
        (out / f"{service}.json").write_text(render(openapi_of(service)), encoding="utf-8")
    events = ROOT / "contracts" / "events"
    events.mkdir(parents=True, exist_ok=True)
    for name, schema in event_schemas().items():
        (events / name).write_text(render(schema), encoding="utf-8")
    print(f"wrote contracts/openapi/ ({len(SERVICES)}) and contracts/events/ ({len(event_schemas())})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
