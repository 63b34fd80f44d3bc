"""Resolving the Kafka broker's jars with Maven, and finding java."""

from __future__ import annotations

import base64
import fcntl
import os
import shutil
import subprocess
import uuid
from pathlib import Path

from devstack.paths import repo_root

DEFAULT_VERSION = "3.9.1"
_MARKER = ".devstack-complete"


def ensure_kafka_jars(version: str = DEFAULT_VERSION) -> Path:
    """Return ``<repo>/.cache/kafka/<version>/lib``, resolving it with Maven when needed.

    Maven runs only when the directory lacks the completion marker, which is written last, so
    an interrupted download is redone rather than half-used. A file lock serialises concurrent
    callers (parallel test processes). Maven uses its default repository: none is named here.
    """
    root = repo_root()
    base = root / ".cache" / "kafka" / version
    lib = base / "lib"
    if (lib / _MARKER).is_file():
        return lib
    base.mkdir(parents=True, exist_ok=True)
    with open(base / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (lib / _MARKER).is_file():
            return lib
        mvn = shutil.which("mvn")
        if mvn is None:
            raise RuntimeError("Maven (mvn) is not on PATH; it is needed once to fetch the Kafka jars")
        pom_dir = root / "tools" / "kafka"
        if not (pom_dir / "pom.xml").is_file():
            raise RuntimeError(f"{pom_dir / 'pom.xml'} is missing")
        if lib.exists():
            shutil.rmtree(lib)
        cmd = [
            mvn, "-q", "-B", "dependency:copy-dependencies", "-DincludeScope=runtime",
            f"-DoutputDirectory={lib}", f"-Dkafka.version={version}",
        ]  # fmt: skip
        proc = subprocess.run(cmd, cwd=pom_dir, capture_output=True, text=True, check=False)
        jars = sorted(lib.glob("kafka_2.13-*.jar")) if lib.is_dir() else []
        if proc.returncode != 0 or not jars:
            raise RuntimeError(
                f"resolving Kafka {version} jars failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
            )
        (lib / _MARKER).write_text(f"kafka {version}: {len(list(lib.glob('*.jar')))} jars\n")
    return lib


def new_cluster_id() -> str:
    """A KRaft cluster id: base64url of 16 random bytes, no padding, never starting with '-'."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def java_binary() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if found is None:
        raise RuntimeError("java is not on PATH (Java 17 is needed to run the Kafka broker)")
    return found
