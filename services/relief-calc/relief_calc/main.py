"""Entry point of the `relief-calc` command: `preview FILE` (试算, prints the JSON response), and the
kernel's serve, migrate, topics, rebuild, fingerprint, openapi."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from eventkit.cli import run_cli
from relief_calc.domain.errors import InvalidRequest
from relief_calc.domain.preview import preview
from relief_calc.service import SPEC


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["preview"]:
        return preview_file(args[1:])
    return run_cli(SPEC, args)


def preview_file(args: list[str]) -> int:
    """`relief-calc preview FILE`: the preview response for the request in FILE (`-`: stdin)."""
    if len(args) != 1:
        print("usage: relief-calc preview FILE", file=sys.stderr)
        return 2
    text = sys.stdin.read() if args[0] == "-" else Path(args[0]).read_text(encoding="utf-8")
    try:
        print(json.dumps(preview(json.loads(text)), ensure_ascii=False, indent=2))
    except (ValueError, InvalidRequest) as exc:
        print(f"invalid preview request: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
