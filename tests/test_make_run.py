"""`make run` from nothing: Kafka and the services come up, every /readyz answers 200, the ops
dashboard reaches every service, and Ctrl-C stops every process the launcher started."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from eventkit.web.tokens import issue_token

pytestmark = pytest.mark.slow


def test_make_run_brings_every_service_to_ready_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    started = time.monotonic()
    launcher = subprocess.Popen(
        [str(Path(sys.executable).parent / "devstack"), "run", "--var", str(var)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    summary_file = var / "run.json"
    try:
        while not summary_file.exists():
            assert launcher.poll() is None, launcher.communicate()[0].decode(errors="replace")[-4000:]
            assert time.monotonic() - started < 300, "make run did not report ready"
            time.sleep(0.5)
        summary = json.loads(summary_file.read_text())
        assert sorted(summary["services"]) == [
            "classification",
            "declaration",
            "refund",
            "relief-calc",
            "reporting",
            "subscriptions",
        ]
        for name, info in summary["services"].items():
            with urllib.request.urlopen(info["url"] + "/readyz", timeout=10) as resp:
                assert resp.status == 200, name
                checks = {c["name"]: c["ok"] for c in json.loads(resp.read())["checks"]}
                assert checks == {"database": True, "kafka": True, "consumers": True}
            assert (var / f"{name}.db").exists()  # the embedded SQLite default
        # the ops dashboard is served, and its pipeline panel reaches every service make run started
        reporting = summary["services"]["reporting"]["url"]
        with urllib.request.urlopen(reporting + "/dashboard", timeout=10) as resp:
            assert resp.status == 200 and "运行看板" in resp.read().decode()
        ops = issue_token(Path(summary["jwt_private_key"]).read_text(), "ops-1", ["ops"])
        request = urllib.request.Request(reporting + "/v1/dashboard/pipeline", headers={"Authorization": f"Bearer {ops}"})
        with urllib.request.urlopen(request, timeout=30) as resp:
            health = json.loads(resp.read())["services"]
        assert sorted(s["service"] for s in health) == sorted(summary["services"])
        assert all(s["up"] for s in health), health
        bank = summary["bank_simulator"]  # the refund service instructs refunds to it
        with urllib.request.urlopen(bank["url"] + "/ledger/summary", timeout=10) as resp:
            assert json.loads(resp.read())["paid_count"] == 0
        pids = [info["pid"] for info in summary["services"].values()] + [summary["kafka_pid"], bank["pid"]]
        print(f"make run ready after {summary['ready_after_s']} s")
    finally:
        launcher.send_signal(signal.SIGINT)
        output = launcher.communicate(timeout=120)[0].decode(errors="replace")
    assert launcher.returncode == 0, output[-4000:]
    assert not [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    assert "Kafka broker stopped" in output
