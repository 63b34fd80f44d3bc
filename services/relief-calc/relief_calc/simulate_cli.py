"""`relief-calc simulate DRAFT.yaml [--from YYYY-MM] [--to YYYY-MM] [--region CODE]... [--no-progress]`:
the policy impact simulation of POST /v1/simulations from the command line, the JSON result on
stdout and a Rich progress bar (payer-periods replayed) on stderr. Writes nothing."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from relief_calc.application.simulations import Filters, simulate
from relief_calc.domain.errors import InvalidRequest, PolicyDataError
from relief_calc.domain.policies import parse_policy


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sim = sub.add_parser("simulate", help="replay the stored declarations under a draft policy (writes nothing)")
    sim.add_argument("draft", help="the draft policy file (YAML, as in policies/*.yaml); `-`: stdin")
    sim.add_argument("--from", dest="period_from", metavar="YYYY-MM", help="first fee period")
    sim.add_argument("--to", dest="period_to", metavar="YYYY-MM", help="last fee period")
    sim.add_argument("--region", action="append", default=[], metavar="CODE", help="a 6-digit region (repeatable)")
    sim.add_argument("--no-progress", action="store_true", help="no progress bar")


async def run(sessions: async_sessionmaker[AsyncSession], args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    name = "<stdin>" if args.draft == "-" else Path(args.draft).name
    try:
        text = sys.stdin.read() if args.draft == "-" else Path(args.draft).read_text(encoding="utf-8")
        draft = parse_policy(text, name=name)
        filters = Filters.of(args.region, args.period_from, args.period_to)
    except OSError as exc:
        print(f"cannot read the draft: {exc}", file=sys.stderr)
        return 2
    except (PolicyDataError, InvalidRequest) as exc:
        print(f"invalid {exc.field or 'draft'}: {exc.en} ({exc.zh})", file=sys.stderr)
        return 2
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    bar = None if args.no_progress else Progress(*columns, console=Console(stderr=True))
    task = None if bar is None else bar.add_task(f"simulating {draft.id}", total=None)
    try:
        if bar is not None:
            bar.start()
        outcome = await simulate(
            sessions,
            draft,
            filters,
            on_total=None if bar is None or task is None else lambda total: bar.update(task, total=total),
            progress=None if bar is None or task is None else lambda done: bar.update(task, completed=done),
        )
    except PolicyDataError as exc:
        print(f"the draft does not fit the published policies ({exc.field or 'draft'}): {exc.en} ({exc.zh})", file=sys.stderr)
        return 2
    finally:
        if bar is not None:
            bar.stop()
    print(json.dumps(outcome.to_json(), ensure_ascii=False, indent=2))
    return 0
