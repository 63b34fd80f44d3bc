"""Event contracts: the JSON Schema of each event type's data, and validation of an envelope
against the committed schema (contracts/events/<name>.v<version>.json).

The schema's `$id` is the event's `dataschema` URN, so a reader can go from any record's
`ce_dataschema` header to the file that describes it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from eventkit.envelope import Envelope
from eventkit.events import Event, parse_type


def event_schema(cls: type[Event]) -> dict[str, Any]:
    schema = cls.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = cls.dataschema()
    schema["title"] = f"{cls.name} v{cls.version}"
    schema["x-cloudevents-type"] = cls.cloudevent_type()
    return schema


def schema_file(contracts_dir: Path, ce_type: str) -> Path:
    name, version = parse_type(ce_type)
    return contracts_dir / "events" / f"{name}.v{version}.json"


@lru_cache(maxsize=256)
def _load(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def validate_envelope(envelope: Envelope, contracts_dir: Path) -> None:
    """Raise jsonschema.ValidationError (or FileNotFoundError for a type without a contract)."""
    path = schema_file(contracts_dir, envelope.type)
    schema = _load(str(path))
    if envelope.dataschema is not None and envelope.dataschema != schema.get("$id"):
        raise jsonschema.ValidationError(f"dataschema {envelope.dataschema!r} is not the contract's $id {schema.get('$id')!r}")
    jsonschema.Draft202012Validator(schema).validate(envelope.data)
