"""The simulator as a real process on a free port, and a tiny real HTTP server that receives its
callbacks (nothing is mocked)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from devstack.ports import free_port
from eventkit.testing.server import ServiceProcess
from iso20022 import CreditTransfer, CreditTransferInitiation, Party

SECRET = "test-secret-Ω"
CN = timezone(timedelta(hours=8))
BUREAU = Party(name="国家税务总局南通市税务局", account="3206000000000001")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every POST; answers 500 to the first ``fail_first`` of them."""

    url: str
    fail_first: int = 0
    requests: list[Received] = field(default_factory=list)
    attempts: int = 0

    def wait_for(self, count: int, timeout: float = 15) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.requests) >= count, f"{len(self.requests)} callbacks received, {count} expected"
        return list(self.requests)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    port = free_port()
    rec = Receiver(url=f"http://127.0.0.1:{port}/bank/callback")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                rec.attempts += 1
                failing = rec.attempts <= rec.fail_first
                if not failing:
                    rec.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(500 if failing else 204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


BankFactory = Callable[..., ServiceProcess]


@pytest.fixture
def start_bank(tmp_path: Path) -> Iterator[BankFactory]:
    started: list[ServiceProcess] = []

    def start(port: int | None = None, **settings: object) -> ServiceProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BANKSIM_")}
        env.update({"BANKSIM_SECRET": SECRET, "BANKSIM_SETTLE_DELAY_MS": "100", "BANKSIM_CALLBACK_BACKOFF_MS": "50"})
        env.update({f"BANKSIM_{k.upper()}": str(v) for k, v in settings.items()})
        proc = ServiceProcess("banksim", env, port or free_port(), tmp_path / f"banksim-{len(started)}.log")
        proc.start(ready_timeout_s=30)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def pain001_of() -> Callable[..., CreditTransferInitiation]:
    return instruction


def instruction(msg_id: str, *txs: tuple[str, int, str], execution: date | None = None) -> CreditTransferInitiation:
    """A pain.001 of (end-to-end id, amount in fen, creditor account) transfers."""
    return CreditTransferInitiation(
        message_id=msg_id,
        created_at=datetime.now(CN).replace(microsecond=0),
        initiating_party=BUREAU.name,
        payment_info_id=msg_id + "-P",
        requested_execution_date=execution or datetime.now(CN).date(),
        debtor=BUREAU,
        debtor_agent="102306000001",
        transactions=tuple(
            CreditTransfer(end_to_end_id=e2e, amount_fen=fen, creditor=Party(name=f"收款单位{e2e}", account=account))
            for e2e, fen, account in txs
        ),
    )
