"""`make rebuild` on a running platform: `make run`'s platform takes a declaration (assessed, put on
the ledger, shared); `devstack rebuild` stops it, rebuilds every projection of every service from
the log and finds every fingerprint equal to the one taken before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import psutil
import pytest

from eventkit.web.tokens import issue_token
from refdata.codes import make_credit_code

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def call(method: str, url: str, token: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}", **({"Content-Type": "application/json"} if data else {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers), timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def test_make_rebuild_stops_the_platform_and_reproduces_every_fingerprint(tmp_path: Path) -> None:
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    launcher = subprocess.Popen(
        [str(BIN / "devstack"), "run", "--var", str(var)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 300
        while not (var / "run.json").exists():
            assert launcher.poll() is None and time.monotonic() < deadline, "make run did not come up"
            time.sleep(0.5)
        summary = json.loads((var / "run.json").read_text())
        urls = {name: info["url"] for name, info in summary["services"].items()}
        key = (var / "keys" / "jwt-private.pem").read_text()
        admin = issue_token(key, "tax-bureau", ["admin"])
        code = make_credit_code(f"91320600MA{uuid.uuid4().int % 10**4:04d}RBT")
        payer = issue_token(key, "payer-user", ["payer"], payer=code)
        registration = {
            "credit_code": code, "name": "南通某某", "unit_type": "enterprise", "region": "320600",
            "industry": {"section": "C", "division": "34"}, "work_injury": {"risk_class": 2},
            "enrollments": [{"insurance": "pension", "since": "2015-01-01"}],
        }  # fmt: skip
        assert call("POST", urls["declaration"] + "/v1/payers", admin, registration)[0] == 201
        body = {"fee_period": "2020-03", "lines": [{"insurance": "pension", "headcount": 10, "base_fen": 5_000_000}]}
        assert call("POST", f"{urls['declaration']}/v1/payers/{code}/declarations", payer, body)[0] == 201
        while call("GET", f"{urls['refund']}/v1/payers/{code}/ledger", payer)[1].get("totals", {}).get("due_fen", 0) == 0:
            assert time.monotonic() < deadline, "the declaration never reached the ledger"
            time.sleep(0.5)
        report_url = f"{urls['reporting']}/v1/reports/payer-months?credit_code={code}"
        while call("GET", report_url, admin)[1].get("totals", {}).get("due_fen", 0) == 0:
            assert time.monotonic() < deadline, "the ledger entry never reached the reporting read model"
            time.sleep(0.5)

        done = subprocess.run(
            [str(BIN / "devstack"), "rebuild", "--var", str(var)], env=env, capture_output=True, text=True, timeout=900
        )
        assert done.returncode == 0, done.stderr[-4000:]
        report = json.loads(done.stdout)
        assert report["make_run_was_stopped"] is True and report["all_equal"] is True, report
        assert sorted(report["services"]) == sorted(summary["services"])
        replayed = {name: sum(p["events"] for p in s["projections"].values()) for name, s in report["services"].items()}
        assert all(replayed[name] > 0 for name in ("declaration", "relief-calc", "refund", "reporting")), replayed
        pids = [info["pid"] for info in summary["services"].values()] + [summary["kafka_pid"]]
        assert not [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        assert launcher.wait(timeout=60) == 0
    finally:
        if launcher.poll() is None:
            launcher.terminate()
            launcher.wait(timeout=120)
