"""`devstack run` (what `make run` calls): the whole platform on one machine, from nothing.

1. the Kafka jars (Maven, cached under .cache/kafka), a KRaft broker on 127.0.0.1 with its data
   under var/kafka (kept between runs);
2. a JWT key pair under var/keys (made once) that every service verifies tokens with, and the
   data key personal data is encrypted with (var/keys/data.key);
3. each service's topics and database migrations (SQLite files var/<service>.db unless
   <PREFIX>DATABASE_URL points elsewhere);
4. the services (declaration, relief-calc, refund, classification, subscriptions, reporting), each `<service> serve` with its log in var/log/<service>.log, and the bank
   simulator (tools/banksim, its ledger in var/banksim.sqlite) that the refund service instructs
   refunds to and that notifies payments and refund statuses back, signed with a secret made
   once under var/keys;
5. waits until every `/readyz` answers 200, prints the URLs (also written to var/run.json for
   scripts), and runs until Ctrl-C or SIGTERM, then stops every process it started: services
   first, the broker last.

`--exit-when-ready` stops everything once all are ready and prints a JSON summary (the check
that `make run` works, used by the tests).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

from devstack.jars import ensure_kafka_jars
from devstack.kafka import KafkaBroker
from devstack.paths import repo_root
from devstack.platform import BANK_SIMULATOR, SERVICES, ServiceProc
from devstack.ports import free_port, port_is_free

READY_TIMEOUT_S = 120.0


@dataclass
class Running:
    service: ServiceProc
    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    log_handle: IO[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("run", help="start Kafka and the services (make run)")
    p.add_argument("--var", default=None, help="state directory (default: <repo>/var)")
    p.add_argument("--exit-when-ready", action="store_true", help="stop once every service is ready; print a JSON summary")
    p.add_argument("--kafka-port", type=int, default=None)
    p.set_defaults(func=run)
    from devstack.rebuild_all import add_parser as add_rebuild

    add_rebuild(subparsers)


def _say(msg: str) -> None:
    print(f"[make run] {msg}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    root = repo_root()
    var = Path(args.var).resolve() if args.var else root / "var"
    (var / "log").mkdir(parents=True, exist_ok=True)
    venv_bin = Path(sys.executable).parent
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    broker: KafkaBroker | None = None
    running: list[Running] = []
    try:
        _say("Kafka jars: " + str(ensure_kafka_jars()))
        broker = KafkaBroker(var / "kafka", port=args.kafka_port)
        broker.start()
        _say(f"Kafka broker ready at {broker.bootstrap} (log: {broker.log_dir / 'server.log'})")
        bank_port = _port(BANK_SIMULATOR)
        env = service_env(var, broker.bootstrap, venv_bin, bank_port)
        for svc in SERVICES:
            _check(svc.command(venv_bin, "topics"), env, var / "log" / f"{svc.name}.log")
            _check(svc.command(venv_bin, "migrate"), env, var / "log" / f"{svc.name}.log")
        _say("topics created, databases migrated")
        for svc in SERVICES:
            if svc.name == "reporting":  # its ops dashboard shows the pipeline of every service started before it
                env.setdefault("REPORTING_SERVICES", ",".join(f"{r.service.name}={r.url}" for r in running))
            running.append(_start(svc, venv_bin, env, var))
        refund = next(r for r in running if r.service.name == "refund")
        running.append(_start(BANK_SIMULATOR, venv_bin, _bank_env(env, var, refund.url), var, bank_port))
        _wait_ready(running)
        elapsed = time.monotonic() - started
        summary = {
            "ready_after_s": round(elapsed, 1),
            "launcher_pid": os.getpid(),
            "kafka": broker.bootstrap,
            "kafka_pid": broker.pid,
            "services": {
                r.service.name: {
                    "url": r.url,
                    "openapi": f"{r.url}/openapi.json",
                    "docs": f"{r.url}/docs",
                    "log": str(r.log),
                    "pid": r.proc.pid,
                }
                for r in running
                if r.service is not BANK_SIMULATOR
            },
            "bank_simulator": {"url": running[-1].url, "log": str(running[-1].log), "pid": running[-1].proc.pid},
            "jwt_private_key": str(var / "keys" / "jwt-private.pem"),
        }
        _print_banner(summary)
        (var / "run.json").write_text(json.dumps(summary, indent=2))
        if args.exit_when_ready:
            print(json.dumps(summary))
            return 0
        while True:
            time.sleep(0.5)
            for r in running:
                if r.proc.poll() is not None:
                    _say(f"{r.service.name} exited with {r.proc.returncode}; last log lines:\n{_tail(r.log)}")
                    return 1
    except _Stop:
        _say("stopping …")
        return 0
    except Exception as exc:
        _say(f"failed: {exc}")
        for r in running:
            if r.proc.poll() is not None:
                _say(f"{r.service.name} log:\n{_tail(r.log)}")
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        (var / "run.json").unlink(missing_ok=True)
        _stop_all(running)
        if broker is not None:
            broker.stop()
            _say("Kafka broker stopped")


def _port(svc: ServiceProc) -> int:
    return svc.default_port if port_is_free(svc.default_port) else free_port()


def _bank_secret(keys: Path) -> str:
    """The secret the simulator signs its callbacks with and the refund service checks (made once)."""
    path = keys / "bank-callback.secret"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _bank_env(env: dict[str, str], var: Path, refund_url: str) -> dict[str, str]:
    out = dict(env)
    out.setdefault("BANKSIM_LEDGER", str(var / "banksim.sqlite"))
    out.setdefault("BANKSIM_SECRET", env["REFUND_BANK_CALLBACK_SECRET"])
    out.setdefault("BANKSIM_CALLBACK_URL", f"{refund_url}/v1/bank/status-reports")
    out.setdefault("BANKSIM_NOTIFY_URL", f"{refund_url}/v1/bank/notifications")
    return out


def service_env(var: Path, bootstrap: str, venv_bin: Path, bank_port: int | None = None) -> dict[str, str]:
    keys = var / "keys"
    if not (keys / "jwt-public.pem").exists():
        subprocess.run([str(venv_bin / "eventkit-token"), "keygen", "--dir", str(keys)], check=True, stdout=subprocess.DEVNULL)
    data_key = keys / "data.key"
    if not data_key.exists():  # the key personal data is encrypted with (AES-256-GCM keyring, 0600)
        from eventkit.crypto import Keyring

        Keyring.write_new(data_key)
    env = dict(os.environ)
    env["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
    env["AUTH_JWT_PUBLIC_KEY_FILE"] = str(keys / "jwt-public.pem")
    env.setdefault("DATA_KEY_FILE", str(data_key))
    for svc in SERVICES:
        env.setdefault(f"{svc.env_prefix}DATABASE_URL", f"sqlite+aiosqlite:///{var / (svc.name + '.db')}")
    if bank_port is not None:
        env.setdefault("REFUND_BANK_URL", f"http://127.0.0.1:{bank_port}")
    env.setdefault("REFUND_BANK_CALLBACK_SECRET", _bank_secret(keys))
    # one machine, for development: agencies' test receivers listen on 127.0.0.1 over plain http
    # (production keeps the SSRF guard: public https callbacks only)
    env.setdefault("SUBSCRIPTIONS_ALLOW_PRIVATE_CALLBACKS", "true")
    env.setdefault("SUBSCRIPTIONS_REQUIRE_HTTPS", "false")
    return env


def _check(cmd: list[str], env: dict[str, str], log: Path) -> None:
    with open(log, "ab") as out:
        result = subprocess.run(cmd, env=env, stdout=out, stderr=out, cwd=str(repo_root()))
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[-2:])} failed (exit {result.returncode}); see {log}:\n{_tail(log)}")


def _start(svc: ServiceProc, venv_bin: Path, env: dict[str, str], var: Path, port: int | None = None) -> Running:
    port = port if port is not None else _port(svc)
    log = var / "log" / f"{svc.name}.log"
    handle = open(log, "ab")
    proc = subprocess.Popen(
        svc.command(venv_bin, "serve", "--host", "127.0.0.1", "--port", str(port)),
        env=env,
        stdout=handle,
        stderr=handle,
        cwd=str(repo_root()),
        start_new_session=True,
    )
    _say(f"{svc.name} starting on port {port} (pid {proc.pid}, log {log})")
    return Running(svc, port, proc, log, handle)


def _wait_ready(running: list[Running]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    pending = {r.service.name: r for r in running}
    while pending:
        for name, r in list(pending.items()):
            if r.proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {r.proc.returncode}:\n{_tail(r.log)}")
            if _ready(r.url):
                _say(f"{name} ready")
                del pending[name]
        if time.monotonic() > deadline:
            raise RuntimeError(f"not ready after {READY_TIMEOUT_S:.0f}s: {', '.join(pending)}")
        time.sleep(0.5)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=3) as resp:
            return bool(resp.status == 200)
    except Exception:
        return False


def _stop_all(running: list[Running]) -> None:
    for r in running:
        if r.proc.poll() is None:
            r.proc.send_signal(signal.SIGTERM)
    for r in running:
        try:
            r.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            r.proc.kill()
            r.proc.wait()
        r.log_handle.close()
        # uvicorn shuts down gracefully on SIGTERM and then re-raises it, so -15 is a clean stop
        clean = r.proc.returncode in (0, -signal.SIGTERM)
        _say(f"{r.service.name} stopped" + ("" if clean else f" (exit {r.proc.returncode})"))


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _print_banner(summary: dict[str, Any]) -> None:
    out = [f"\nRelief platform ready in {summary['ready_after_s']} s. Kafka: {summary['kafka']}\n"]
    for name, info in summary["services"].items():
        out.append(f"  {name:<15} {info['url']:<24} OpenAPI {info['openapi']}   docs {info['docs']}")
    out.append(
        f"\nLogs: var/log/<service>.log; Kafka: var/kafka/logs/server.log. Tokens: .venv/bin/eventkit-token issue "
        f"--key {summary['jwt_private_key']} --sub me --role officer\nCtrl-C stops everything.\n"
    )
    print("\n".join(out), file=sys.stderr, flush=True)
