"""Entry point of the `refund` command (serve, migrate, topics, rebuild, fingerprint, openapi)."""

from __future__ import annotations

from eventkit.cli import run_cli
from refund.service import SPEC


def main() -> int:
    return run_cli(SPEC)


if __name__ == "__main__":
    raise SystemExit(main())
