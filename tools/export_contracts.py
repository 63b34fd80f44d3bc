"""Write every service's OpenAPI document to contracts/openapi/<service>.json (`make contracts`).

tests/test_contracts.py fails when a committed document differs from what the code serves.
"""

from __future__ import annotations

import importlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = {"declaration": "declaration", "relief-calc": "relief_calc", "refund": "refund", "classification": "classification"}


def openapi_of(service: str) -> dict[str, object]:
    from eventkit.cli import build_app
    from eventkit.settings import ServiceSettings

    spec = importlib.import_module(f"{SERVICES[service]}.service").SPEC
    with tempfile.TemporaryDirectory() as tmp:
        settings: ServiceSettings = spec.settings_cls(database_url=f"sqlite+aiosqlite:///{tmp}/openapi.db")
        return build_app(spec, settings).openapi()  # type: ignore[no-any-return]


def render(document: dict[str, object]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main() -> int:
    out = ROOT / "contracts" / "openapi"
    out.mkdir(parents=True, exist_ok=True)
    for service in SERVICES:
        (out / f"{service}.json").write_text(render(openapi_of(service)), encoding="utf-8")
        print(f"wrote contracts/openapi/{service}.json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
