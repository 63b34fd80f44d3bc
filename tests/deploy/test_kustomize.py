"""The kustomizations: what they list, and kustomize_lite (the offline renderer) against
`kubectl kustomize` and against its own rules."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import kustomize_lite
import pytest
import yaml  # type: ignore[import-untyped]  # no types-PyYAML in requirements.txt
from deploykit import BASE, K8S, NAMESPACE, OVERLAYS, kubectl, kubectl_kustomize, load_yaml_docs, ref, render

KUSTOMIZATIONS = {"base": BASE, **OVERLAYS}


def kustomization(directory: Path) -> dict[str, Any]:
    return dict(yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8")))


def test_every_manifest_is_in_a_kustomization() -> None:
    listed: set[Path] = set()
    for directory in KUSTOMIZATIONS.values():
        for entry in kustomization(directory)["resources"]:
            path = (directory / entry).resolve()
            assert path.exists(), f"{directory}: lists missing {entry}"
            if path.is_file():
                listed.add(path)
    on_disk = {
        p.resolve() for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml" and not p.name.endswith(".example.yaml")
    }
    assert on_disk == listed, f"not in any kustomization.yaml: {sorted(map(str, on_disk - listed))}"


@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_overlays_build_on_the_base(overlay: str) -> None:
    k = kustomization(OVERLAYS[overlay])
    assert "../../base" in k["resources"]
    assert k["namespace"] == NAMESPACE


@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_rendered_objects_are_namespaced_labelled_and_unique(name: str) -> None:
    docs = render(KUSTOMIZATIONS[name])
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == NAMESPACE, ref(doc)
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "relief", ref(doc)
    keys = [(d["apiVersion"], d["kind"], d["metadata"]["name"]) for d in docs]
    assert len(keys) == len(set(keys)), "duplicate resources"


@pytest.mark.skipif(kubectl() is None, reason="kubectl (with its built-in kustomize) not installed")
@pytest.mark.parametrize("name", sorted(KUSTOMIZATIONS))
def test_kustomize_lite_renders_what_kubectl_kustomize_renders(name: str) -> None:
    ours = {(d["kind"], d["metadata"]["name"]): d for d in render(KUSTOMIZATIONS[name])}
    theirs = {(d["kind"], d["metadata"]["name"]): d for d in kubectl_kustomize(KUSTOMIZATIONS[name])}
    assert sorted(ours) == sorted(theirs)
    for key, doc in ours.items():
        assert doc == theirs[key], f"{key}: kustomize_lite differs from kubectl kustomize"


# --------------------------------------------------------------------------- kustomize_lite itself


def write_tree(root: Path, files: dict[str, Any]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else yaml.safe_dump_all(content if isinstance(content, list) else [content])
        path.write_text(text, encoding="utf-8")


DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"tier": "api"}},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [{"name": "web", "image": "relief/web:dev"}],
                "initContainers": [{"name": "i", "image": "relief/web"}],
            },
        },
    },
}


def small_tree(tmp_path: Path, overlay_extra: dict[str, Any]) -> Path:
    write_tree(
        tmp_path,
        {
            "base/kustomization.yaml": {"resources": ["web.yaml", "ns.yaml"], "namespace": "n1"},
            "base/web.yaml": DEPLOYMENT,
            "base/ns.yaml": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n1"}},
            "overlay/kustomization.yaml": {"resources": ["../base"], **overlay_extra},
        },
    )
    return tmp_path / "overlay"


def test_kustomize_lite_features(tmp_path: Path) -> None:
    overlay = small_tree(
        tmp_path,
        {
            "namespace": "n2",
            "labels": [{"pairs": {"part-of": "x"}, "includeSelectors": False}],
            "images": [{"name": "relief/web", "newName": "reg.invalid/relief/web", "newTag": "1.2"}],
            "replicas": [{"name": "web", "count": 5}],
            "patches": [
                {
                    "target": {"group": "apps", "kind": "Deployment", "labelSelector": "tier=api"},
                    "patch": "- op: add\n  path: /spec/template/spec/containers/0/args\n  value: [serve]\n"
                    "- op: replace\n  path: /spec/selector/matchLabels/app\n  value: web\n",
                }
            ],
        },
    )
    docs = {d["kind"]: d for d in kustomize_lite.build(overlay)}
    web = docs["Deployment"]
    assert web["metadata"]["namespace"] == "n2" and "namespace" not in docs["Namespace"]["metadata"]
    assert web["metadata"]["labels"] == {"tier": "api", "part-of": "x"}
    assert web["spec"]["template"]["metadata"]["labels"] == {"app": "web"}, "includeSelectors: false"
    assert web["spec"]["replicas"] == 5
    pod = web["spec"]["template"]["spec"]
    assert [c["image"] for c in pod["containers"] + pod["initContainers"]] == ["reg.invalid/relief/web:1.2"] * 2
    assert pod["containers"][0]["args"] == ["serve"]
    assert docs["Namespace"]["metadata"]["name"] == "n2", "kustomize renames the Namespace"
    if shutil.which("kubectl"):
        theirs = {d["kind"]: d for d in kubectl_kustomize(overlay)}
        assert theirs == docs


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"patches": [{"target": {"kind": "Deployment", "name": "nope"}, "patch": "- {op: remove, path: /spec}"}]},
            "matches nothing",
        ),
        (
            {"patches": [{"target": {"kind": "Deployment"}, "patch": "- {op: replace, path: /spec/nope, value: 1}"}]},
            "no such member",
        ),
        ({"patches": [{"target": {"kind": "Deployment"}, "patch": "metadata: {name: web}"}]}, "JSON 6902"),
        ({"replicas": [{"name": "nope", "count": 1}]}, "no Deployment"),
        ({"namePrefix": "x-"}, "not supported"),
        ({"resources": ["../base", "missing.yaml"]}, "does not exist"),
        ({"resources": ["../base", "../base/web.yaml"]}, "defined twice"),
    ],
    ids=[
        "target-matches-nothing",
        "replace-missing-path",
        "strategic-merge",
        "replicas-unknown",
        "unknown-field",
        "missing-file",
        "duplicate",
    ],
)
def test_kustomize_lite_refuses_what_it_cannot_do(tmp_path: Path, extra: dict[str, Any], message: str) -> None:
    overlay = small_tree(tmp_path, extra)
    with pytest.raises(kustomize_lite.KustomizeError, match=message):
        kustomize_lite.build(overlay)


def test_json_patch_ops() -> None:
    doc: dict[str, Any] = {"a": {"b": [1, 2]}, "c/d": 1}
    apply = kustomize_lite.apply_json_patch_op
    apply(doc, {"op": "add", "path": "/a/b/1", "value": 9})
    apply(doc, {"op": "add", "path": "/a/b/-", "value": 3})
    apply(doc, {"op": "remove", "path": "/c~1d"})
    apply(doc, {"op": "test", "path": "/a/b/0", "value": 1})
    assert doc == {"a": {"b": [1, 9, 2, 3]}}
    with pytest.raises(kustomize_lite.KustomizeError):
        apply(copy.deepcopy(doc), {"op": "test", "path": "/a/b/0", "value": 2})
    with pytest.raises(kustomize_lite.KustomizeError):
        apply(copy.deepcopy(doc), {"op": "move", "from": "/a", "path": "/b"})


def test_secrets_example_is_in_no_kustomization() -> None:
    names = {d["metadata"]["name"] for d in load_yaml_docs(K8S / "secrets.example.yaml")}
    for name, directory in KUSTOMIZATIONS.items():
        assert not names & {d["metadata"]["name"] for d in render(directory) if d["kind"] == "Secret"}, name
