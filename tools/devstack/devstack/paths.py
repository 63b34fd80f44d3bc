"""Locating the repository root."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    """The monorepo root: ``$RELIEF_REPO_ROOT`` if set, else the nearest ancestor of this file
    that contains ``requirements.txt``."""
    env = os.environ.get("RELIEF_REPO_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "requirements.txt").is_file():
            return parent
    raise RuntimeError(f"cannot find the repository root above {here} (no requirements.txt); set RELIEF_REPO_ROOT")
