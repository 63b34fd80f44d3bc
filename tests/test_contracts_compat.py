"""The breaking-change checker (tools/contracts_compat.py) on synthetic schema pairs: every kind of
change that breaks a reader of the released schema is reported, additive changes are not; then a
release cut in a scratch copy of contracts/."""

from __future__ import annotations

import copy
import json
import runpy
import shutil
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
compat = runpy.run_path(str(ROOT / "tools" / "contracts_compat.py"))
schema_breaks = compat["schema_breaks"]

RELEASED: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "$defs": {
        "Insurance": {"enum": ["pension", "medical"], "type": "string"},
        "Line": {
            "type": "object",
            "properties": {"insurance": {"$ref": "#/$defs/Insurance"}, "amount_fen": {"type": "integer"}},
            "required": ["insurance", "amount_fen"],
        },
    },
    "properties": {
        "credit_code": {"type": "string"},
        "fee_period": {"type": "string", "format": "date"},
        "memo": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}},
        "rate": {"type": "number"},
    },
    "required": ["credit_code", "fee_period", "lines"],
}


def changed(edit: Any) -> dict[str, Any]:
    new = copy.deepcopy(RELEASED)
    edit(new)
    return new


BREAKING = {
    "removed field": (lambda s: s["properties"].pop("rate"), "(data).rate: removed"),
    "removed optional field": (lambda s: s["properties"].pop("memo"), "(data).memo: removed"),
    "retyped field": (
        lambda s: s["properties"].update(credit_code={"type": "integer"}),
        "(data).credit_code: retyped from string to integer",
    ),
    "widened to nullable": (
        lambda s: s["properties"].update(credit_code={"anyOf": [{"type": "string"}, {"type": "null"}]}),
        "(data).credit_code: retyped from string to null|string",
    ),
    "format changed": (
        lambda s: s["properties"]["fee_period"].update(format="date-time"),
        "(data).fee_period: retyped from string:date to string:date-time",
    ),
    "new required field": (
        lambda s: (s["properties"].update(region={"type": "string"}), s["required"].append("region")),
        "(data).region: new required field",
    ),
    "optional made required": (lambda s: s["required"].append("memo"), "(data).memo: optional field made required"),
    "nested field retyped": (
        lambda s: s["$defs"]["Line"]["properties"].update(amount_fen={"type": "string"}),
        "(data).lines[].amount_fen: retyped from integer to string",
    ),
    "nested field removed": (
        lambda s: s["$defs"]["Line"]["properties"].pop("amount_fen"),
        "(data).lines[].amount_fen: removed",
    ),
    "enum value added": (
        lambda s: s["$defs"]["Insurance"]["enum"].append("maternity"),
        '(data).lines[].insurance: enum changed (added "maternity"; removed nothing)',
    ),
    "enum value removed": (
        lambda s: s["$defs"]["Insurance"]["enum"].remove("medical"),
        '(data).lines[].insurance: enum changed (added nothing; removed "medical")',
    ),
    "array became a string": (
        lambda s: s["properties"].update(lines={"type": "string"}),
        "(data).lines: retyped from array to string",
    ),
}

ADDITIVE = {
    "nothing changed": lambda s: None,
    "new optional field": lambda s: s["properties"].update(
        region={"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    ),
    "new optional nested field": lambda s: s["$defs"]["Line"]["properties"].update(note={"type": "string", "default": ""}),
    "narrowed from nullable": lambda s: s["properties"].update(memo={"type": "string", "default": ""}),
    "number narrowed to integer": lambda s: s["properties"].update(rate={"type": "integer"}),
    "required made optional": lambda s: s["required"].remove("fee_period"),
    "definition renamed": lambda s: (
        s["$defs"].update(Entry=s["$defs"].pop("Line")),
        s["properties"]["lines"]["items"].update({"$ref": "#/$defs/Entry"}),
    ),
    "titles and descriptions": lambda s: s["properties"]["credit_code"].update(
        title="Credit Code", description="统一社会信用代码"
    ),
}


@pytest.mark.parametrize("kind", sorted(BREAKING))
def test_a_change_that_breaks_a_reader_is_reported(kind: str) -> None:
    edit, expected = BREAKING[kind]
    assert schema_breaks(RELEASED, changed(edit)) == [expected]


@pytest.mark.parametrize("kind", sorted(ADDITIVE))
def test_an_additive_change_passes(kind: str) -> None:
    assert schema_breaks(RELEASED, changed(ADDITIVE[kind])) == []


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A copy of contracts/ (events, openapi and the release) to change and release."""
    for folder in ("events", "openapi", "released"):
        shutil.copytree(ROOT / "contracts" / folder, tmp_path / folder)
    return tmp_path


def _edit(path: Path, edit: Any) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    edit(document)
    path.write_text(json.dumps(document), encoding="utf-8")


def test_a_new_version_beside_the_released_one_passes_and_a_removed_one_fails(scratch: Path) -> None:
    check = compat["check"]
    v1 = scratch / "events" / "refund.RefundSettled.v1.json"
    v2 = json.loads(v1.read_text(encoding="utf-8"))
    v2["properties"]["amount_fen"] = {"type": "string"}  # v2 may change anything: readers upcast v1
    (scratch / "events" / "refund.RefundSettled.v2.json").write_text(json.dumps(v2), encoding="utf-8")
    assert check(scratch / "released", scratch) == []
    v1.unlink()
    assert check(scratch / "released", scratch) == ["events/refund.RefundSettled.v1.json: released event version removed"]


def test_a_removed_operation_breaks_the_api(scratch: Path) -> None:
    api = scratch / "openapi" / "declaration.json"
    path = next(iter(json.loads(api.read_text(encoding="utf-8"))["paths"]))
    _edit(api, lambda d: d["paths"].pop(path))
    assert check_lines(scratch) and all(line.startswith("openapi/declaration.json: ") for line in check_lines(scratch))


def check_lines(scratch: Path) -> list[str]:
    return compat["check"](scratch / "released", scratch)  # type: ignore[no-any-return]


def test_a_release_snapshots_the_contracts_and_refuses_while_anything_breaks(scratch: Path) -> None:
    release = compat["release"]
    before = (scratch / "released" / "VERSION").read_text().strip()
    _edit(scratch / "events" / "refund.RefundSettled.v1.json", lambda d: d["properties"].update(note={"type": "string"}))
    assert release(scratch / "released", scratch) == str(int(before) + 1)
    assert "note" in json.loads((scratch / "released" / "events" / "refund.RefundSettled.v1.json").read_text())["properties"]
    _edit(scratch / "events" / "refund.RefundSettled.v1.json", lambda d: d["properties"].pop("note"))
    with pytest.raises(SystemExit, match="note: removed"):
        release(scratch / "released", scratch)
    assert (scratch / "released" / "VERSION").read_text().strip() == str(int(before) + 1)
