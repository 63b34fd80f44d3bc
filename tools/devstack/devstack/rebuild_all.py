"""`devstack rebuild` (what `make rebuild` calls): every projection of every service rebuilt from the
log of the platform `make run` keeps under var/, each fingerprint compared with the one taken before.

1. If `make run` is running (var/run.json, its launcher alive), it is stopped first (SIGTERM: the
   services, so their consumers, then the broker) — a projection must not be fed by its live
   consumer and by the rebuild at once.
2. The broker is started again on its data (var/kafka).
3. Per service: `<service> fingerprint` (before), `<service> rebuild` (drops each projection,
   replays its topics from the beginning), and the fingerprints compared.
4. The broker is stopped; a JSON report is printed; exit 1 if any fingerprint differs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from devstack.jars import ensure_kafka_jars
from devstack.kafka import KafkaBroker
from devstack.paths import repo_root
from devstack.platform import SERVICES

STOP_TIMEOUT_S = 120.0


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("rebuild", help="rebuild every projection of every service from the log and compare fingerprints")
    p.add_argument("--var", default=None, help="state directory of `make run` (default: <repo>/var)")
    p.set_defaults(func=rebuild_all)


def _say(msg: str) -> None:
    print(f"[make rebuild] {msg}", file=sys.stderr, flush=True)


def _alive(pid: int) -> bool:
    """Running (a zombie, exited but not yet reaped by its parent, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def stop_running_platform(var: Path) -> bool:
    """Stop `make run` if it runs on `var`; True if it was running."""
    run_file = var / "run.json"
    if not run_file.exists():
        return False
    launcher = json.loads(run_file.read_text()).get("launcher_pid")
    if not launcher or not _alive(int(launcher)):
        return False
    _say(f"stopping make run (pid {launcher}): its consumers must not feed the projections meanwhile")
    os.kill(int(launcher), signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while _alive(int(launcher)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"make run (pid {launcher}) did not stop within {STOP_TIMEOUT_S:.0f}s")
        time.sleep(0.3)
    return True


def _cli(venv_bin: Path, service: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run([str(venv_bin / service), *args], env=env, capture_output=True, text=True, cwd=str(repo_root()))
    if done.returncode != 0:
        raise RuntimeError(f"{service} {' '.join(args)} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout))


def rebuild_all(args: argparse.Namespace) -> int:
    from devstack.run import service_env  # the same environment `make run` gives the services

    var = Path(args.var).resolve() if args.var else repo_root() / "var"
    if not (var / "kafka").exists():
        _say(f"nothing to rebuild: no platform state under {var} (run `make run` first)")
        return 2
    was_running = stop_running_platform(var)
    venv_bin = Path(sys.executable).parent
    ensure_kafka_jars()
    broker = KafkaBroker(var / "kafka")
    broker.start()
    report: dict[str, Any] = {"services": {}}
    try:
        env = service_env(var, broker.bootstrap, venv_bin)
        for svc in SERVICES:
            started = time.monotonic()
            before = _cli(venv_bin, svc.name, env, "fingerprint")["fingerprints"]
            rebuilt = _cli(venv_bin, svc.name, env, "rebuild", "--no-progress")["projections"]
            after = {p["name"]: p["fingerprint"] for p in rebuilt}
            report["services"][svc.name] = {
                "equal": before == after,
                "seconds": round(time.monotonic() - started, 1),
                "projections": {
                    p["name"]: {"events": p["events"], "before": before.get(p["name"]), "after": p["fingerprint"]}
                    for p in rebuilt
                },
            }
            _say(f"{svc.name}: {'every fingerprint equal' if before == after else 'FINGERPRINTS DIFFER'}")
    finally:
        broker.stop()
    report["all_equal"] = all(s["equal"] for s in report["services"].values())
    report["make_run_was_stopped"] = was_running
    print(json.dumps(report, indent=2))
    if was_running:
        _say("make run was stopped for the rebuild: start it again with `make run`")
    return 0 if report["all_equal"] else 1
