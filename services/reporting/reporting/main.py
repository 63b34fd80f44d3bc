"""Entry point of the `reporting` command: the kernel's serve, migrate, topics, rebuild,
fingerprint, openapi."""

from __future__ import annotations

import sys

from eventkit.cli import run_cli
from reporting.service import SPEC


def main(argv: list[str] | None = None) -> int:
    return run_cli(SPEC, sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    raise SystemExit(main())
