"""Breaking-change check of the contracts against the last release (contracts/released/).

An event lives in the log forever, and readers built against a released schema keep reading it.
So against the released schema of an event type and version, the current one must not
- remove a field (a reader relies on it),
- retype a field: give it a type, format or constant the released schema did not allow
  (narrowing, e.g. "string or null" to "string", is fine),
- add a required field, or make an optional one required (events already in the log lack it),
- change an enum (old readers do not know a new value; old events may hold a removed one),
- drop a released event type or version altogether.
Adding an optional field is fine, and so is a new version (v2 beside v1, with an upcaster).
For the REST APIs (contracts/openapi/), removing a released operation is breaking.

    python tools/contracts_compat.py            check, print what breaks, exit 1 if anything does
    python tools/contracts_compat.py --release  cut the next release: snapshot contracts/ into
                                                contracts/released/ and bump its VERSION
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
RELEASED = CONTRACTS / "released"
SNAPSHOT = ("events", "openapi")  # the folders a release copies
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}

Schema = dict[str, Any]


def _resolve(root: Schema, node: Any) -> Schema:
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 32:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local $refs are supported, not {ref!r}")
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node, seen = target, seen + 1
    return node if isinstance(node, dict) else {}


def _branches(root: Schema, node: Schema) -> list[Schema]:
    """The alternatives a value may take (anyOf/oneOf flattened), each resolved."""
    node = _resolve(root, node)
    alternatives = node.get("anyOf") or node.get("oneOf")
    if not alternatives:
        return [node]
    return [b for alt in alternatives for b in _branches(root, alt)]


def _kinds(root: Schema, node: Schema) -> set[str]:
    """What a value may be: JSON types refined by format and const ("string:date", "const:'x'")."""
    kinds: set[str] = set()
    for branch in _branches(root, node):
        if "const" in branch:
            kinds.add(f"const:{json.dumps(branch['const'])}")
            continue
        if "enum" in branch and "type" not in branch:
            kinds.update(sorted({type(v).__name__ for v in branch["enum"]}))
            continue
        types = branch.get("type", "any")
        for t in [types] if isinstance(types, str) else types:
            kinds.add(f"{t}:{branch['format']}" if "format" in branch else t)
    return kinds


def _allows(old: set[str], new: set[str]) -> bool:
    """Every kind of value the new schema allows was allowed by the old one."""
    if "any" in old:
        return True
    widened = {"integer"} if "number" in old else set()  # an integer is a number
    return new <= old | widened


def _enum(root: Schema, node: Schema) -> set[str] | None:
    values = [v for b in _branches(root, node) for v in b.get("enum", [])]
    return {json.dumps(v, sort_keys=True) for v in values} if values else None


def schema_breaks(old: Schema, new: Schema, where: str = "") -> list[str]:
    """What in `new` breaks a reader of `old` (both JSON Schemas of one event version's data)."""
    return _node_breaks(old, old, new, new, where or "(data)")


def _node_breaks(old_root: Schema, old: Schema, new_root: Schema, new: Schema, where: str) -> list[str]:
    out: list[str] = []
    old_kinds, new_kinds = _kinds(old_root, old), _kinds(new_root, new)
    if not _allows(old_kinds, new_kinds):
        out.append(f"{where}: retyped from {'|'.join(sorted(old_kinds))} to {'|'.join(sorted(new_kinds))}")
        return out
    old_enum, new_enum = _enum(old_root, old), _enum(new_root, new)
    if old_enum is not None and new_enum != old_enum:
        added, removed = sorted((new_enum or set()) - old_enum), sorted(old_enum - (new_enum or set()))
        out.append(f"{where}: enum changed (added {', '.join(added) or 'nothing'}; removed {', '.join(removed) or 'nothing'})")
    old_objects = [b for b in _branches(old_root, old) if "properties" in b or b.get("type") == "object"]
    new_objects = [b for b in _branches(new_root, new) if "properties" in b or b.get("type") == "object"]
    if old_objects and new_objects:
        out += _object_breaks(old_root, old_objects[0], new_root, new_objects[0], where)
    old_items = [b["items"] for b in _branches(old_root, old) if isinstance(b.get("items"), dict)]
    new_items = [b["items"] for b in _branches(new_root, new) if isinstance(b.get("items"), dict)]
    if old_items and new_items:
        out += _node_breaks(old_root, old_items[0], new_root, new_items[0], f"{where}[]")
    return out


def _object_breaks(old_root: Schema, old: Schema, new_root: Schema, new: Schema, where: str) -> list[str]:
    out: list[str] = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    for name, schema in old_props.items():
        if name not in new_props:
            out.append(f"{where}.{name}: removed")
        else:
            out += _node_breaks(old_root, schema, new_root, new_props[name], f"{where}.{name}")
    for name in sorted(new_required - old_required):
        what = "optional field made required" if name in old_props else "new required field"
        out.append(f"{where}.{name}: {what}")
    return out


def openapi_breaks(old: Schema, new: Schema, where: str) -> list[str]:
    """Released operations that are gone (a client calling them would get 404/405)."""
    out = []
    for path, item in old.get("paths", {}).items():
        for method in sorted(set(item) & HTTP_METHODS):
            if method not in new.get("paths", {}).get(path, {}):
                out.append(f"{where}: {method.upper()} {path} removed")
    return out


def check(released: Path = RELEASED, current: Path = CONTRACTS) -> list[str]:
    """Every breaking change of the contracts in `current` against the release in `released`."""
    out: list[str] = []
    for old_file in sorted((released / "events").glob("*.json")):
        new_file = current / "events" / old_file.name
        if not new_file.exists():
            out.append(f"events/{old_file.name}: released event version removed")
            continue
        old, new = _read(old_file), _read(new_file)
        out += [f"events/{old_file.name}: {b}" for b in schema_breaks(old, new)]
    for old_file in sorted((released / "openapi").glob("*.json")):
        new_file = current / "openapi" / old_file.name
        if not new_file.exists():
            out.append(f"openapi/{old_file.name}: released API removed")
            continue
        out += openapi_breaks(_read(old_file), _read(new_file), f"openapi/{old_file.name}")
    return out


def release(released: Path = RELEASED, current: Path = CONTRACTS) -> str:
    """Snapshot the current contracts as the next release; refuses while anything breaks."""
    breaks = check(released, current) if released.exists() else []
    if breaks:
        raise SystemExit("refusing to release contracts that break the last release:\n  " + "\n  ".join(breaks))
    version_file = released / "VERSION"
    version = str(int(version_file.read_text().strip()) + 1) if version_file.exists() else "1"
    released.mkdir(parents=True, exist_ok=True)
    for folder in SNAPSHOT:
        shutil.rmtree(released / folder, ignore_errors=True)
        shutil.copytree(current / folder, released / folder)
    version_file.write_text(version + "\n", encoding="utf-8")
    return version


def _read(path: Path) -> Schema:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def main(argv: list[str]) -> int:
    if argv == ["--release"]:
        print(f"released the contracts as version {release()} (contracts/released/)", file=sys.stderr)
        return 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    breaks = check()
    for line in breaks:
        print(f"BREAKING {line}")
    version = (RELEASED / "VERSION").read_text().strip()
    print(f"{len(breaks)} breaking change(s) against released contracts v{version}", file=sys.stderr)
    return 1 if breaks else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
