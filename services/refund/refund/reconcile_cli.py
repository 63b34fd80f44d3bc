"""`refund reconcile --bank URL --day YYYY-MM-DD`: fetch the bank's statement of the day
(`GET <bank>/statements/<day>`, camt.053 XML; the bank simulator serves it) and import it as
`POST /v1/reconciliation/statements` would, printing the outcome as JSON. The running service's
relay publishes what it records; its projection must be up to date for the matching."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

import httpx

from eventkit.cli import build_runtime
from eventkit.commands import retrying
from iso20022 import camt053
from iso20022.errors import MessageError
from refund.application.reconciliation import import_statement
from refund.service import SPEC


def add_parser(sub: Any) -> None:
    p = sub.add_parser("reconcile", help="fetch the bank's statement of a day and reconcile it")
    p.add_argument("--bank", required=True, help="the bank's base URL, e.g. http://127.0.0.1:8010")
    p.add_argument("--day", required=True, type=date.fromisoformat, help="the statement day, YYYY-MM-DD")
    p.add_argument("--by", default="cli", help="who imports (recorded in the event)")


async def run(args: argparse.Namespace) -> int:
    url = f"{args.bank.rstrip('/')}/statements/{args.day.isoformat()}"
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.get(url, headers={"Accept": "application/xml"})
            response.raise_for_status()
    except httpx.HTTPError as exc:
        print(f"could not fetch the statement from {url}: {exc}", file=sys.stderr)
        return 1
    try:
        stmt = camt053.parse(response.content)
    except MessageError as exc:
        print(f"the bank sent no valid camt.053: {exc.path}: {exc.reason}", file=sys.stderr)
        return 1
    settings = SPEC.settings()
    runtime = build_runtime(SPEC, settings, run_relay=False, run_consumers=False)
    keyring = settings.keyring()
    try:
        outcome = await retrying(
            runtime.sessions, lambda s: import_statement(s, runtime.store, keyring, stmt, response.content, args.by)
        )
    finally:
        await runtime.engine.dispose()
    print(json.dumps(outcome.__dict__, ensure_ascii=False))
    return 0
