"""deploy/docker/Dockerfile: one image per program, non-root, and no package index named anywhere."""

from __future__ import annotations

import re
import shlex

from deploykit import APP_PORT, COMPOSE_FILE, DEPLOY, ROOT, compose


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", (DEPLOY / "docker" / "Dockerfile").read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), rest.strip()))
    return out


def test_dockerfile() -> None:
    ins = dockerfile_instructions()
    assert ins[0] == ("FROM", "python:3.11-slim")
    assert ("ARG", "SERVICE") in ins and ("ARG", "PACKAGE=services/${SERVICE}") in ins
    runs = [rest for op, rest in ins if op == "RUN"]
    assert any(re.search(r"pip install -r requirements\.txt\b", r) for r in runs)
    installs = [shlex.split(r) for r in runs if "--no-deps" in r]
    assert installs, "the program and libs are installed with --no-deps"
    words = installs[0]
    assert words[words.index("--no-deps") + 1 :][:3] == ["./libs", "./libs/refdata", "./${PACKAGE}"]
    users = [rest for op, rest in ins if op == "USER"]
    assert users and users[-1].split(":")[0] == "10001", "non-root numeric user, as the k8s securityContext says"
    assert ("EXPOSE", str(APP_PORT)) in ins
    ignore = (DEPLOY / "docker" / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "var"} <= set(ignore)


def test_every_built_image_has_its_package() -> None:
    for name, svc in compose()["services"].items():
        if "build" in svc:
            args = svc["build"]["args"]
            package = args.get("PACKAGE", f"services/{args['SERVICE']}")
            assert (ROOT / package / "pyproject.toml").is_file(), f"{name}: no package at {package}"
            assert svc["build"]["dockerfile"] == "deploy/docker/Dockerfile"


def test_no_package_index_is_named() -> None:
    pattern = re.compile(r"index[-_]url|find[-_]links|trusted[-_]host|PIP_INDEX|PIP_EXTRA", re.I)
    paths = [COMPOSE_FILE, *[p for p in DEPLOY.rglob("*") if p.is_file()]]
    offenders = [str(p.relative_to(ROOT)) for p in paths if pattern.search(p.read_text(encoding="utf-8", errors="replace"))]
    assert not offenders, offenders
