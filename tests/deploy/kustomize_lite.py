"""A minimal, strict kustomize in Python: enough of `kustomize build` for deploy/k8s, offline.

`kubectl kustomize` is used when it is installed (tests/deploy compare the two); this renderer
makes the overlays testable without it. It implements exactly the fields deploy/k8s uses, and
refuses any other (an unknown field is an error, never silently ignored):

* ``resources``: YAML files (several documents each) and directories holding a
  ``kustomization.yaml`` (rendered recursively, as kustomize does for bases);
* ``namespace``: set on every namespaced object (the built-in cluster-scoped kinds keep none),
  and as the name of Namespace objects (as kustomize does);
* ``labels`` with ``pairs`` and ``includeSelectors: false``: added to ``metadata.labels``;
* ``images``: ``name`` with ``newName`` and/or ``newTag``, on containers and init containers;
* ``replicas``: ``name`` and ``count`` of a Deployment or StatefulSet;
* ``patches``: JSON 6902 patches (inline ``patch`` or ``path``) with a ``target`` of
  ``group``/``version``/``kind``/``name``/``namespace``/``labelSelector`` (``k=v`` pairs);
  ops ``add``, ``replace``, ``remove``, ``test``. A patch whose target matches nothing is an
  error (kustomize is silent there; being strict catches a misspelt target).

    python tests/deploy/kustomize_lite.py deploy/k8s/overlays/dev    # prints the YAML stream
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # no types-PyYAML in requirements.txt

Doc = dict[str, Any]

KNOWN_FIELDS = {"apiVersion", "kind", "namespace", "resources", "labels", "images", "replicas", "patches"}
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
}


class KustomizeError(Exception):
    """The kustomization uses something this renderer does not do, or is wrong."""


def build(directory: Path) -> list[Doc]:
    """The objects `kustomize build DIRECTORY` would output (order aside)."""
    directory = Path(directory)
    kfile = directory / "kustomization.yaml"
    if not kfile.is_file():
        raise KustomizeError(f"{directory}: no kustomization.yaml")
    k = yaml.safe_load(kfile.read_text(encoding="utf-8")) or {}
    unknown = set(k) - KNOWN_FIELDS
    if unknown:
        raise KustomizeError(f"{kfile}: fields not supported by kustomize_lite: {sorted(unknown)}")
    if k.get("kind", "Kustomization") != "Kustomization":
        raise KustomizeError(f"{kfile}: kind must be Kustomization")

    docs: list[Doc] = []
    for entry in k.get("resources", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            docs.extend(build(path))
        elif path.is_file():
            docs.extend(d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None)
        else:
            raise KustomizeError(f"{kfile}: resource {entry} does not exist")
    _check_unique(docs, kfile)

    for patch in k.get("patches", []):
        _apply_patch(docs, patch, directory, kfile)
    if "namespace" in k:
        for doc in docs:
            if doc["kind"] == "Namespace":  # kustomize renames Namespace objects to it
                doc["metadata"]["name"] = k["namespace"]
            elif doc["kind"] not in CLUSTER_SCOPED:
                doc.setdefault("metadata", {})["namespace"] = k["namespace"]
    for label in k.get("labels", []):
        if set(label) - {"pairs", "includeSelectors"} or label.get("includeSelectors", False):
            raise KustomizeError(f"{kfile}: only labels.pairs with includeSelectors: false are supported")
        for doc in docs:
            doc.setdefault("metadata", {}).setdefault("labels", {}).update({str(a): str(b) for a, b in label["pairs"].items()})
    for image in k.get("images", []):
        _set_image(docs, image, kfile)
    for rep in k.get("replicas", []):
        targets = [d for d in docs if d["kind"] in ("Deployment", "StatefulSet") and d["metadata"]["name"] == rep["name"]]
        if not targets:
            raise KustomizeError(f"{kfile}: replicas for {rep['name']}, which is no Deployment or StatefulSet")
        for doc in targets:
            doc["spec"]["replicas"] = int(rep["count"])
    return docs


def _check_unique(docs: list[Doc], where: Path) -> None:
    seen = set()
    for d in docs:
        key = (d["apiVersion"].split("/")[0] if "/" in d["apiVersion"] else "", d["kind"], d["metadata"]["name"])
        if key in seen:
            raise KustomizeError(f"{where}: {d['kind']}/{d['metadata']['name']} is defined twice")
        seen.add(key)


def _set_image(docs: list[Doc], image: dict[str, Any], where: Path) -> None:
    if set(image) - {"name", "newName", "newTag"}:
        raise KustomizeError(f"{where}: images support name, newName and newTag only")
    for doc in docs:
        pod = _pod_spec(doc)
        if pod is None:
            continue
        for container in [*pod.get("initContainers", []), *pod.get("containers", [])]:
            ref = container.get("image", "")
            name, tag = _split_image(ref)
            if name != image["name"]:
                continue
            container["image"] = image.get("newName", name) + (":" + str(image["newTag"]) if "newTag" in image else tag)


def _split_image(ref: str) -> tuple[str, str]:
    """('relief/refund', ':dev') for 'relief/refund:dev'; a port in a registry host is no tag."""
    if "@" in ref:
        name, digest = ref.split("@", 1)
        return name, "@" + digest
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        return ref[:colon], ref[colon:]
    return ref, ""


def _pod_spec(doc: Doc) -> dict[str, Any] | None:
    spec = doc.get("spec") or {}
    if doc["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        return spec.get("template", {}).get("spec")  # type: ignore[no-any-return]
    if doc["kind"] == "CronJob":
        return spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec")  # type: ignore[no-any-return]
    if doc["kind"] == "Pod":
        return spec  # type: ignore[no-any-return]
    return None


# --------------------------------------------------------------------------- patches


def _apply_patch(docs: list[Doc], patch: dict[str, Any], directory: Path, where: Path) -> None:
    if set(patch) - {"target", "patch", "path"} or ("patch" in patch) == ("path" in patch):
        raise KustomizeError(f"{where}: a patch needs a target and exactly one of patch and path")
    text = patch["patch"] if "patch" in patch else (directory / patch["path"]).read_text(encoding="utf-8")
    ops = yaml.safe_load(text)
    if not isinstance(ops, list):
        raise KustomizeError(f"{where}: only JSON 6902 patches (a list of operations) are supported")
    target = patch.get("target")
    if not target:
        raise KustomizeError(f"{where}: a JSON 6902 patch needs a target")
    matched = [d for d in docs if _matches(d, target, where)]
    if not matched:
        raise KustomizeError(f"{where}: patch target {target} matches nothing")
    for doc in matched:
        patched = copy.deepcopy(doc)
        for op in ops:
            patched = apply_json_patch_op(patched, op)
        doc.clear()
        doc.update(patched)


def _matches(doc: Doc, target: dict[str, Any], where: Path) -> bool:
    unknown = set(target) - {"group", "version", "kind", "name", "namespace", "labelSelector"}
    if unknown:
        raise KustomizeError(f"{where}: target fields not supported: {sorted(unknown)}")
    api = str(doc["apiVersion"])
    group, version = api.split("/", 1) if "/" in api else ("", api)
    meta = doc.get("metadata", {})
    checks = [
        ("group", group),
        ("version", version),
        ("kind", doc["kind"]),
        ("name", meta.get("name", "")),
        ("namespace", meta.get("namespace", "")),
    ]
    for field, value in checks:
        if field in target and not re.fullmatch(str(target[field]), value):
            return False
    if "labelSelector" in target:
        labels = meta.get("labels") or {}
        for term in str(target["labelSelector"]).split(","):
            if "=" not in term or "!" in term:
                raise KustomizeError(f"{where}: labelSelector supports k=v terms only: {term!r}")
            key, value = (s.strip() for s in term.split("=", 1))
            if labels.get(key) != value:
                return False
    return True


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise KustomizeError(f"JSON pointer must start with '/': {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def apply_json_patch_op(doc: Any, op: dict[str, Any]) -> Any:
    """One RFC 6902 operation (add, replace, remove, test) on a copy-free document; returns it."""
    kind = op.get("op")
    if kind not in ("add", "replace", "remove", "test"):
        raise KustomizeError(f"unsupported JSON patch op {kind!r}")
    parts = _pointer(op["path"])
    parent: Any = doc
    for part in parts[:-1]:
        parent = _child(parent, part, op)
    last = parts[-1]
    if isinstance(parent, list):
        if kind == "add" and last == "-":
            parent.append(copy.deepcopy(op["value"]))
            return doc
        if not last.isdigit():
            raise KustomizeError(f"{op['path']}: {last!r} is not a list index")
        index = int(last)
        size = len(parent) + (1 if kind == "add" else 0)
        if index >= size:
            raise KustomizeError(f"{op['path']}: index {index} out of range")
        if kind == "add":
            parent.insert(index, copy.deepcopy(op["value"]))
        elif kind == "replace":
            parent[index] = copy.deepcopy(op["value"])
        elif kind == "remove":
            del parent[index]
        elif parent[index] != op["value"]:
            raise KustomizeError(f"test failed at {op['path']}")
        return doc
    if not isinstance(parent, dict):
        raise KustomizeError(f"{op['path']}: the parent is not an object")
    if kind == "add":
        parent[last] = copy.deepcopy(op["value"])
    elif last not in parent:
        raise KustomizeError(f"{op['path']}: no such member to {kind}")
    elif kind == "replace":
        parent[last] = copy.deepcopy(op["value"])
    elif kind == "remove":
        del parent[last]
    elif parent[last] != op["value"]:
        raise KustomizeError(f"test failed at {op['path']}")
    return doc


def _child(node: Any, part: str, op: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if part not in node:
            raise KustomizeError(f"{op['path']}: no member {part!r}")
        return node[part]
    if isinstance(node, list) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    raise KustomizeError(f"{op['path']}: cannot descend into {part!r}")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: kustomize_lite.py DIRECTORY", file=sys.stderr)
        return 2
    docs = build(Path(argv[0]))
    sys.stdout.write("".join("---\n" + yaml.safe_dump(d, sort_keys=False) for d in docs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
