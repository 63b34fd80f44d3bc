"""Entry point of the `refund` command: `reconcile --bank URL --day YYYY-MM-DD` (fetch the bank's
statement and reconcile it) and the kernel's serve, migrate, topics, rebuild, fingerprint, openapi."""

from __future__ import annotations

import argparse
import asyncio
import sys

from eventkit.cli import run_cli
from eventkit.logging import configure_logging
from refund import reconcile_cli
from refund.service import SPEC


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["reconcile"]:
        parser = argparse.ArgumentParser(prog="refund")
        reconcile_cli.add_parser(parser.add_subparsers(dest="command", required=True))
        parsed = parser.parse_args(args)
        configure_logging(SPEC.definition.name, SPEC.settings().log_level, stream=sys.stderr)
        return asyncio.run(reconcile_cli.run(parsed))
    return run_cli(SPEC, args)


if __name__ == "__main__":
    raise SystemExit(main())
