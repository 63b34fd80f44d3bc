"""The contracts in contracts/ are what the code serves: a change to an API or an event without
its exported document (`make contracts`) fails here; so do an AsyncAPI document that is not valid
AsyncAPI 3.0, an event schema that is not valid JSON Schema 2020-12, and a change that breaks a
reader of the released contracts (contracts/released/, tools/contracts_compat.py)."""

from __future__ import annotations

import json
import os
import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
export = runpy.run_path(str(ROOT / "tools" / "export_contracts.py"))
compat = runpy.run_path(str(ROOT / "tools" / "contracts_compat.py"))


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


# ---------------------------------------------------------------------------------- AsyncAPI
ASYNCAPI_SCHEMA = ROOT / "contracts" / "schemas" / "asyncapi-3.0.0.json"
asyncapi = export["sibling"]("asyncapi_export")


def committed_asyncapi() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "contracts" / "asyncapi.yaml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_committed_asyncapi_matches_the_code_and_the_topics() -> None:
    committed = (ROOT / "contracts" / "asyncapi.yaml").read_text(encoding="utf-8")
    assert committed == export["asyncapi_text"](), "contracts/asyncapi.yaml is stale: run `make contracts`"


def test_asyncapi_is_valid_against_the_asyncapi_3_schema() -> None:
    schema = json.loads(ASYNCAPI_SCHEMA.read_text(encoding="utf-8"))
    assert schema["$id"] == "http://asyncapi.com/definitions/3.0.0/asyncapi.json"
    errors = [f"{e.json_path}: {e.message[:300]}" for e in jsonschema.Draft7Validator(schema).iter_errors(committed_asyncapi())]
    assert errors == []


def _pointer(document: Any, ref: str) -> Any:
    for part in ref.removeprefix("#/").split("/"):
        document = document[part.replace("~1", "/").replace("~0", "~")]
    return document


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_asyncapi_references_resolve_and_operations_use_their_channels_messages() -> None:
    doc = committed_asyncapi()
    for ref in _refs(doc):
        if ref.startswith("#/"):
            _pointer(doc, ref)  # KeyError names a dangling reference
        else:
            assert (ROOT / "contracts" / ref).is_file(), ref
    for op_id, op in doc["operations"].items():
        channel = op["channel"]["$ref"]
        assert all(m["$ref"].startswith(channel + "/messages/") for m in op["messages"]), op_id
    topics = yaml.safe_load(export["TOPICS_FILE"].read_text(encoding="utf-8"))["topics"]
    assert set(doc["channels"]) == {t["name"] for t in topics}, "every topic of deploy/topics.yaml is a channel"
    current = {f"{m}.json" for m in doc["components"]["messages"] if m != "DeadLetter"}
    assert current == set(export["event_schemas"]()), "every event type and version is a message"
    for name in ("declaration.events", "relief.events", "refund.events", "classification.events", "policy.events"):
        assert any(op["action"] == "send" and op["channel"]["$ref"] == f"#/channels/{name}" for op in doc["operations"].values())
        assert any(
            op["action"] == "receive" and op["channel"]["$ref"] == f"#/channels/{name}" for op in doc["operations"].values()
        )


def test_public_topics_are_flagged_and_new_prefixes_are_picked_up(tmp_path: Path) -> None:
    """What another team adds to deploy/topics.yaml and the registries shows without code changes;
    an event no topic carries stops the export."""
    topics = yaml.safe_load(export["TOPICS_FILE"].read_text(encoding="utf-8"))
    topics["topics"] += [
        {"name": "public.refund-outcomes", "partitions": 12, "scope": "payer", "public": True, "events": ["refund.Refund"]},
        {"name": "public.refund-outcomes.dlq", "partitions": 12, "scope": "payer", "public": True},
    ]
    (tmp_path / "topics.yaml").write_text(yaml.safe_dump(topics), encoding="utf-8")
    definitions = [export["spec_of"](s).definition for s in export["SERVICES"]]
    doc = asyncapi.build(definitions, tmp_path / "topics.yaml", version="1")
    public = doc["channels"]["public.refund-outcomes"]
    assert public["x-public"] is True and [t["name"] for t in public["tags"]] == ["public"]
    assert (
        "refund.RefundSettled.v1" in public["messages"]
        and "refund.RefundSettled.v1" not in doc["channels"]["refund.events"]["messages"]
    )
    assert doc["components"]["messages"]["refund.RefundSettled.v1"]["tags"] == [{"name": "public"}]
    assert doc["channels"]["public.refund-outcomes.dlq"]["messages"] == {
        "DeadLetter": {"$ref": "#/components/messages/DeadLetter"}
    }
    assert list(jsonschema.Draft7Validator(json.loads(ASYNCAPI_SCHEMA.read_text(encoding="utf-8"))).iter_errors(doc)) == []
    topics["topics"] = [t for t in topics["topics"] if not t["name"].startswith("refund.")]
    (tmp_path / "topics.yaml").write_text(yaml.safe_dump(topics), encoding="utf-8")
    with pytest.raises(LookupError, match="'refund.DueRecorded' is published on no topic"):
        asyncapi.build(definitions, tmp_path / "topics.yaml", version="1")


# ---------------------------------------------------------------------------- event schemas
@pytest.mark.parametrize("folder", ["events", "released/events"])
def test_every_event_schema_is_a_valid_2020_12_schema(folder: str) -> None:
    files = sorted((ROOT / "contracts" / folder).glob("*.json"))
    assert files
    for path in files:
        schema = json.loads(path.read_text(encoding="utf-8"))
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", path.name
        jsonschema.Draft202012Validator.check_schema(schema)
        name, version = path.name.removesuffix(".json").rsplit(".v", 1)
        assert schema["$id"] == f"urn:relief:schema:{name}:v{version}", path.name


def test_no_change_breaks_a_reader_of_the_released_contracts() -> None:
    """Against contracts/released/ (cut with `make contracts-release`): a removed or retyped field,
    a new required one, a changed enum or a removed event version fails here."""
    assert compat["check"]() == []


def test_the_session_checks_every_appended_event_against_its_contract() -> None:
    """Root conftest.py turns the check on; services started by tests inherit it."""
    assert os.environ.get("EVENTKIT_VALIDATE_CONTRACTS") not in (None, "", "0")
    assert Path(os.environ["EVENTKIT_CONTRACT_VIOLATIONS"]).exists()
