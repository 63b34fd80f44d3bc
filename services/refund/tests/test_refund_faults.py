"""A thousand refunds through a misbehaving bank, with the refund service SIGKILLed mid-batch: each
settles exactly once. The simulator answers 5xx, times out, drops responses, sends callbacks twice
and late; its own ledger (not ours) shows that no end-to-end id was paid twice, and every payer
ledger balances to the fen. Real processes (refund service, simulator), PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.ports import free_port
from eventkit.crypto import Keyring
from eventkit.kafka import TopicSpec
from eventkit.testing.offsets import start_groups_at_end
from eventkit.testing.proofs import produce
from eventkit.testing.server import ServiceProcess
from eventkit.testing.waiting import eventually as wait
from eventkit.web.tokens import generate_keypair, issue_token
from refdata.codes import make_credit_code
from refund.adapters.tables import kernel
from refund.service import DEFINITION
from relief_calc.testing import liability, liability_envelope

from .live import SECRET, bank_summary, banksim

N = int(os.environ.get("REFUND_FAULT_TEST_REFUNDS", "1000"))
PAID, AFTER = 400_000, 150_000  # February 2020 paid at full rate, then reassessed: 250,000 fen back each


def _liabilities(codes: list[str], employer_fen: int, version: int) -> list[Any]:
    """relief-calc's events for February 2020: assessed at the full rate, or reassessed down."""
    full = {c: liability(c, "2020-02", PAID, PAID) for c in codes}
    if version == 1:
        return [liability_envelope(full[c], 1) for c in codes]
    return [liability_envelope(liability(c, "2020-02", PAID, employer_fen), version, full[c]) for c in codes]


@pytest.fixture
def system(new_pg_database: Callable[[str], str], kafka_bootstrap: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    db = new_pg_database("refund_faults")
    private, public = generate_keypair()
    (tmp_path / "jwt.pem").write_text(public)
    Keyring.write_new(tmp_path / "data.key")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    bank = banksim(
        tmp_path, callback_url=f"{base}/v1/bank/status-reports", notify_url=f"{base}/v1/bank/notifications",
        p_5xx="0.1", p_timeout="0.05", timeout_s="1.5", p_drop="0.05", p_duplicate_callback="0.3",
        p_late_callback="0.1", late_callback_ms="3000", latency_ms="[0, 20]", seed="11",
    )  # fmt: skip
    env = {
        **os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "AUTH_JWT_PUBLIC_KEY_FILE": str(tmp_path / "jwt.pem"),
        "REFUND_DATABASE_URL": db, "REFUND_DATA_KEY_FILE": str(tmp_path / "data.key"), "REFUND_BANK_URL": bank.url,
        "REFUND_BANK_CALLBACK_SECRET": SECRET, "REFUND_BANK_TIMEOUT_S": "1", "REFUND_BANK_STATUS_AFTER_S": "0.5",
        "REFUND_BANK_STATUS_MAX_S": "3", "REFUND_BANK_LEASE_S": "5", "REFUND_BANK_WORKER_CONCURRENCY": "16",
    }  # fmt: skip
    refund = ServiceProcess("refund", env, port, tmp_path / "refund.log")
    refund.run("migrate")
    topics = [TopicSpec("relief.events", 12), TopicSpec("refund.events", 12)]
    asyncio.run(start_groups_at_end(db, kafka_bootstrap, kernel, DEFINITION.subscriptions(), topics))
    refund.start()
    try:
        yield {"refund": refund, "bank": bank, "private": private, "bootstrap": kafka_bootstrap}
    finally:
        refund.stop()
        bank.stop()


def test_a_thousand_refunds_settle_exactly_once_through_faults_and_a_sigkill(system: dict[str, Any]) -> None:
    refund, bank, private = system["refund"], system["bank"], system["private"]
    run = uuid.uuid4().int % 10**3
    codes = [make_credit_code(f"91320600MA{run:03d}{i:04d}") for i in range(N)]
    officer = {"Authorization": "Bearer " + issue_token(private, "officer-1", ["tax_officer"])}
    approver = {"Authorization": "Bearer " + issue_token(private, "approver-1", ["refund_approver"])}
    pool = ThreadPoolExecutor(16)

    def ledger(code: str) -> dict[str, Any]:
        r = httpx.get(f"{refund.url}/v1/payers/{code}/ledger", headers=officer, timeout=30)
        return dict(r.json()) if r.status_code == 200 else {}

    def all_true(check: Callable[[str], bool]) -> bool:
        return all(pool.map(check, codes))

    # February 2020 assessed at the full rate for every payer, and paid through the bank
    asyncio.run(produce(system["bootstrap"], "relief.events", _liabilities(codes, PAID, 1)))
    wait(lambda: all_true(lambda c: ledger(c).get("totals", {}).get("due_fen") == PAID), "the dues", timeout_s=240)

    def pay(i_code: tuple[int, str]) -> None:
        i, code = i_code
        body = {"amount_fen": PAID, "payer_name": f"南通企业{i}", "payer_account": f"62220202{i:08d}7", "credit_code": code,
                "fee_period": "2020-02", "insurance": "pension"}  # fmt: skip
        assert httpx.post(f"{bank.url}/simulate/payment", json=body, timeout=30).status_code == 200

    list(pool.map(pay, enumerate(codes)))
    wait(
        lambda: all_true(lambda c: ledger(c).get("totals", {}).get("paid_fen") == PAID),
        "the payments, notified by the bank",
        timeout_s=240,
    )

    # the relief is published: every February is reassessed, the excess refunded ex officio
    asyncio.run(produce(system["bootstrap"], "relief.events", _liabilities(codes, AFTER, 2)))

    def counts() -> dict[str, int]:
        return dict(httpx.get(f"{refund.url}/v1/refunds?limit=1", headers=officer, timeout=30).json()["counts"])

    wait(lambda: counts().get("requested") == N, "the ex-officio requests", timeout_s=240)
    ids = [
        r["refund_id"]
        for page in range(0, N, 1000)
        for r in httpx.get(f"{refund.url}/v1/refunds?status=requested&limit=1000&offset={page}", headers=officer, timeout=30).json()["items"]
    ]  # fmt: skip
    assert len(ids) == N

    def approve(refund_id: str) -> int:
        code = refund_id.split("-")[1]
        url = f"{refund.url}/v1/payers/{code}/refunds/{refund_id}/approval"
        return httpx.post(url, headers={**approver, "Idempotency-Key": f"a-{refund_id}"}, timeout=30).status_code

    assert set(pool.map(approve, ids)) == {200}

    # mid-batch: some refunds with the bank, most not yet settled — kill the service outright
    def moving() -> bool:
        c = counts()
        return c.get("instructed", 0) + c.get("accepted", 0) + c.get("settled", 0) >= N // 5 and c.get("settled", 0) < N

    wait(moving, "the bank worker under way", timeout_s=240)
    refund.kill()
    refund.start()
    wait(lambda: counts().get("settled") == N, "every refund settled", timeout_s=420)

    summary = bank_summary(bank)
    assert summary["end_to_end_ids_paid_twice"] == 0, summary
    assert (summary["paid_count"], summary["paid_total_fen"]) == (N, N * (PAID - AFTER)), summary
    injected = httpx.get(f"{bank.url}/ledger/summary", timeout=10).json()["injected"]
    assert injected.get("5xx", 0) and injected.get("duplicate_callback", 0), injected  # the faults did happen

    def settled_once_and_balanced(code: str) -> bool:
        led = ledger(code)
        refunds = httpx.get(f"{refund.url}/v1/payers/{code}/refunds", headers=officer, timeout=30).json()["items"]
        kinds = [h["type"] for r in refunds for h in r["history"]]
        return (
            led["balanced"] is True
            and led["totals"]["refunded_fen"] == PAID - AFTER
            and led["totals"]["balance_fen"] == 0
            and kinds.count("refund.RefundSettled") == 1
        )

    assert all_true(settled_once_and_balanced)
