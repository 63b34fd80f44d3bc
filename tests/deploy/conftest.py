"""tests/deploy: offline validation of docker-compose.yml and deploy/ (no Docker, no cluster).

The helper modules beside the tests (deploykit, kustomize_lite, crd_schemas) are imported by
name: pytest runs with --import-mode=importlib, which puts no test folder on sys.path.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
