"""The contracts in contracts/ are what the code serves: a change to an API or an event without
its exported document (`make contracts`) fails here."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
export = runpy.run_path(str(ROOT / "tools" / "export_contracts.py"))


@pytest.mark.parametrize("service", sorted(export["SERVICES"]))
def test_committed_openapi_matches_the_code(service: str) -> None:
    committed = (ROOT / "contracts" / "openapi" / f"{service}.json").read_text(encoding="utf-8")
    served = export["render"](export["openapi_of"](service))
    assert json.loads(committed) == json.loads(served), f"contracts/openapi/{service}.json is stale: run `make contracts`"
    assert all("x-roles" in op for item in json.loads(served)["paths"].values() for op in item.values())


def test_every_event_type_has_its_committed_schema() -> None:
    produced = export["event_schemas"]()
    committed = {p.name for p in (ROOT / "contracts" / "events").glob("*.json")}
    assert set(produced) <= committed, f"missing contracts: {sorted(set(produced) - committed)}: run `make contracts`"
    for name, schema in produced.items():
        on_disk = json.loads((ROOT / "contracts" / "events" / name).read_text(encoding="utf-8"))
        assert on_disk == json.loads(export["render"](schema)), f"contracts/events/{name} is stale: run `make contracts`"
