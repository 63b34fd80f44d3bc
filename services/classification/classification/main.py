"""Entry point of the `classification` command (serve, migrate, topics, rebuild, fingerprint, openapi)."""

from __future__ import annotations

from classification.service import SPEC
from eventkit.cli import run_cli


def main() -> int:
    return run_cli(SPEC)


if __name__ == "__main__":
    raise SystemExit(main())
