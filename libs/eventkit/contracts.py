"""Event contracts: the JSON Schema of each event type's data, and validation of an envelope
against the committed schema (contracts/events/<name>.v<version>.json).

The schema's `$id` is the event's `dataschema` URN, so a reader can go from any record's
`ce_dataschema` header to the file that describes it.

Contract checking on append: with `EVENTKIT_VALIDATE_CONTRACTS=1` (or a path to a contracts
folder) in the environment, `EventStore` checks every event it appends against its committed
schema (and that contracts/asyncapi.yaml has it on the topic it goes to) and raises `ContractViolation` on a mismatch, so the decision that raised the event rolls
back. The test session sets it (root conftest.py); services started by tests inherit it. A
violation is also written as a JSON line to the file `EVENTKIT_CONTRACT_VIOLATIONS` names, so a
violation inside a subprocess or a background consumer still fails the test that caused it.
Validators are compiled once per schema file: checking costs one dictionary walk per event.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from eventkit.envelope import Envelope
from eventkit.errors import ContractViolation
from eventkit.events import Event, parse_type

ENV_VALIDATE = "EVENTKIT_VALIDATE_CONTRACTS"
ENV_VIOLATIONS = "EVENTKIT_CONTRACT_VIOLATIONS"
REPO_CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"  # the checkout's (editable install)


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


@lru_cache(maxsize=1024)
def _validator(path: str) -> jsonschema.Draft202012Validator:
    schema = json.loads(Path(path).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def validate_envelope(envelope: Envelope, contracts_dir: Path) -> None:
    """Raise jsonschema.ValidationError (or FileNotFoundError for a type without a contract)."""
    validator = _validator(str(schema_file(contracts_dir, envelope.type)))
    schema_id = validator.schema.get("$id")
    if envelope.dataschema is not None and envelope.dataschema != schema_id:
        raise jsonschema.ValidationError(f"dataschema {envelope.dataschema!r} is not the contract's $id {schema_id!r}")
    validator.validate(envelope.data)


def contracts_from_env() -> Path | None:
    """The contracts folder to check appended events against, or None when checking is off."""
    value = os.environ.get(ENV_VALIDATE, "").strip()
    if value in ("", "0", "false", "no"):
        return None
    return REPO_CONTRACTS if value in ("1", "true", "yes") else Path(value)


@lru_cache(maxsize=8)
def _families(contracts_dir: str) -> frozenset[str]:
    """The first name segments (`declaration`, `refund`, …) that have contracts at all."""
    folder = Path(contracts_dir) / "events"
    if not folder.is_dir():
        raise ContractViolation(f"{ENV_VALIDATE} is set but {folder} does not exist")
    return frozenset(p.name.split(".", 1)[0] for p in folder.glob("*.json"))


@lru_cache(maxsize=8)
def _channels(contracts_dir: str) -> dict[str, frozenset[str]]:
    """CloudEvents type → the topics contracts/asyncapi.yaml carries it on ({} without the document)."""
    path = Path(contracts_dir) / "asyncapi.yaml"
    if not path.exists():
        return {}
    import yaml  # type: ignore[import-untyped,unused-ignore]  # only where contracts are checked; no stubs pinned

    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    types = {mid: m.get("x-cloudevents-type") for mid, m in doc.get("components", {}).get("messages", {}).items()}
    found: dict[str, set[str]] = {}
    for topic, channel in doc.get("channels", {}).items():
        for mid in channel.get("messages", {}):
            if types.get(mid):
                found.setdefault(types[mid], set()).add(topic)
    return {t: frozenset(topics) for t, topics in found.items()}


def problems(envelope: Envelope, contracts_dir: Path, topic: str | None = None) -> list[str]:
    """What is wrong with an event against its contract ([] when it conforms), and, given the topic
    it goes to, whether the AsyncAPI document puts it there. An event of a family without any
    contract (a kernel test's own event types) is not checked."""
    name, _version = parse_type(envelope.type)
    path = schema_file(contracts_dir, envelope.type)
    if not path.exists():
        if name.split(".", 1)[0] not in _families(str(contracts_dir)):
            return []
        return [f"no contract {path.name} for {envelope.type}: run `make contracts`"]
    validator = _validator(str(path))
    found = []
    channels = _channels(str(contracts_dir)).get(envelope.type)
    if topic is not None and channels is not None and topic not in channels:
        found.append(f"appended to {topic}, but contracts/asyncapi.yaml carries it on {', '.join(sorted(channels))}")
    schema_id = validator.schema.get("$id")
    if envelope.dataschema != schema_id:
        found.append(f"dataschema {envelope.dataschema!r} is not the contract's $id {schema_id!r}")
    for error in validator.iter_errors(envelope.data):
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        found.append(f"{where}: {error.message}"[:500])  # the message quotes the value, which may be big
    return found


def check_appended(envelopes: Sequence[Envelope], *, topic: str, contracts_dir: Path) -> None:
    """Raise ContractViolation (and record it) if any event does not conform to its contract."""
    for envelope in envelopes:
        found = problems(envelope, contracts_dir, topic)
        if found:
            _record(envelope, topic, found)
            raise ContractViolation(f"{envelope.type} ({envelope.id}) breaks its contract: {'; '.join(found[:5])}")


def _record(envelope: Envelope, topic: str, found: list[str]) -> None:
    target = os.environ.get(ENV_VIOLATIONS)
    if not target:
        return
    line = {"type": envelope.type, "id": envelope.id, "topic": topic, "pid": os.getpid(), "problems": found[:20]}
    with open(target, "a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
