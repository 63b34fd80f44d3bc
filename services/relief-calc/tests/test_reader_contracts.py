"""relief-calc's tolerant readers (relief_calc.adapters.readers) against the producers' committed
contracts (contracts/events/): every field a reader requires, the producer's schema requires too,
with the same JSON type, down through nested objects and arrays. A producer may add fields freely;
dropping or retyping one a reader needs fails here before it fails in production."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eventkit.contracts import event_schema
from eventkit.events import Event
from relief_calc.adapters import readers

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts" / "events"


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _mismatches(reader: dict[str, Any], r: dict[str, Any], producer: dict[str, Any], p: dict[str, Any], path: str) -> list[str]:
    r, p = _resolve(reader, r), _resolve(producer, p)
    out = []
    if "type" in r and "type" in p and r["type"] != p["type"]:
        out.append(f"{path}: reader expects {r['type']}, producer writes {p['type']}")
    if "items" in r and "items" in p:
        out += _mismatches(reader, r["items"], producer, p["items"], f"{path}[]")
    for name in r.get("required", []):
        if name not in p.get("required", []):
            out.append(f"{path}.{name}: required by the reader, not by the producer")
        elif name in p.get("properties", {}):
            out += _mismatches(reader, r["properties"][name], producer, p["properties"][name], f"{path}.{name}")
    return out


@pytest.mark.parametrize("reader", [*readers.READERS, *readers.REFUND_READERS], ids=lambda c: c.name)
def test_the_reader_needs_nothing_the_producer_does_not_promise(reader: type[Event]) -> None:
    contract = CONTRACTS / f"{reader.name}.v{reader.version}.json"
    producer = json.loads(contract.read_text(encoding="utf-8"))
    mine = event_schema(reader)
    assert _mismatches(mine, mine, producer, producer, reader.name) == []
