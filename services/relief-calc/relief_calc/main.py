"""Entry point of the `relief-calc` command: `preview FILE` (试算, prints the JSON response),
`policies publish [DIR]`, `reassessments [JOB] [--watch]`, `simulate DRAFT.yaml` (政策影响测算,
prints the JSON result), and the kernel's serve, migrate, topics, rebuild, fingerprint, openapi."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from eventkit.cli import build_runtime, run_cli
from eventkit.logging import configure_logging
from relief_calc import simulate_cli
from relief_calc.application.reassessments import watch
from relief_calc.domain.errors import InvalidRequest, PolicyDataError
from relief_calc.domain.preview import preview
from relief_calc.service import SPEC
from relief_calc.workers import policy_dir, publish_directory

OWN = ("preview", "policies", "reassessments", "simulate")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["preview"]:
        return preview_file(args[1:])
    if args[:1] in (["policies"], ["reassessments"], ["simulate"]):
        return asyncio.run(_own(args))
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


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="relief-calc")
    sub = p.add_subparsers(dest="command", required=True)
    pol = sub.add_parser("policies", help="policies on the log")
    pol_sub = pol.add_subparsers(dest="action", required=True)
    pub = pol_sub.add_parser("publish", help="publish every policy file of DIR (idempotent by content hash)")
    pub.add_argument("directory", nargs="?", help="default: the configured policy_dir, else the shipped policies")
    pub.add_argument("--by", default="cli", help="who publishes (recorded in the event)")
    re = sub.add_parser("reassessments", help="reassessments set off by policy publications, with progress")
    re.add_argument("job", nargs="?", help="one job (policy-id@YYYY-MM-DD); default: every job")
    re.add_argument("--watch", action="store_true", help="show a progress bar until the job(s) are done")
    re.add_argument("--no-progress", action="store_true", help="no progress bar (with --watch)")
    simulate_cli.add_parser(sub)
    return p


async def _own(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    settings = SPEC.settings()
    configure_logging(SPEC.definition.name, settings.log_level, stream=sys.stderr)
    runtime = build_runtime(SPEC, settings, run_relay=False, run_consumers=False)
    try:
        if args.command == "simulate":
            return await simulate_cli.run(runtime.sessions, args)
        if args.command == "policies":
            directory = Path(args.directory) if args.directory else policy_dir(getattr(settings, "policy_dir", None))
            if directory is None:
                print("no policy directory (give DIR or set RELIEF_CALC_POLICY_DIR)", file=sys.stderr)
                return 2
            try:
                published = await publish_directory(runtime, directory, by=args.by)
            except PolicyDataError as exc:
                print(f"invalid policy: {exc.en}", file=sys.stderr)
                return 2
            print(json.dumps({"published": published}, ensure_ascii=False))
            return 0
        jobs = await watch(runtime.sessions, args.job, show_progress=args.watch and not args.no_progress) if args.watch else None
        if jobs is None:
            from relief_calc.application.reassessments import jobs as read_jobs

            async with runtime.sessions() as session:
                jobs = await read_jobs(session, args.job)
        print(json.dumps({"reassessments": [j.as_json() for j in jobs]}, ensure_ascii=False))
        return 0
    finally:
        await runtime.engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
