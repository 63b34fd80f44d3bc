"""The disaster drill (issue 7): the refund service's database is deleted outright while the service
runs; a new database is restored from Kafka alone (`refund restore`: the event store from the
service's own topics, then every projection) and the service carries on — the same ledgers and
refunds, nothing decided twice, new payments and reassessments handled as before, nothing
republished. The service is a real process (SIGKILLed), on PostgreSQL and a Kafka broker of the
test's own."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from devstack.ports import free_port
from eventkit.crypto import Keyring
from eventkit.testing.databases import pg_database_url
from eventkit.testing.proofs import end_offsets, produce
from eventkit.testing.server import ServiceProcess
from eventkit.testing.waiting import eventually as wait
from eventkit.web.signature import sign
from eventkit.web.tokens import generate_keypair, issue_token
from iso20022 import DebitCreditNotification, Entry, Party, PaymentRemittance
from refdata.codes import make_credit_code
from relief_calc.testing import liability, liability_envelope

pytestmark = [pytest.mark.slow, pytest.mark.replay_from_beginning]
SECRET = "drill-bank-secret"
CN = timezone(timedelta(hours=8))


def notification(code: str, reference: str, fen: int) -> bytes:
    entry = Entry(
        bank_reference=reference, amount_fen=fen, credit_debit="CRDT", booking_date=date(2020, 3, 20),
        value_date=date(2020, 3, 20), end_to_end_id="NOTPROVIDED", debtor=Party(name="南通某某", account="6222020200001234567"),
        remittance=PaymentRemittance(credit_code=code, fee_period="2020-02", insurance="pension").text(),
    )  # fmt: skip
    return DebitCreditNotification(
        message_id=f"NTF-{reference}", created_at=datetime(2020, 3, 20, 10, tzinfo=CN), notification_id="N1",
        account="3206000000000001", entries=(entry,),
    ).to_xml()  # fmt: skip


def test_a_deleted_database_is_restored_from_kafka_alone_and_the_service_carries_on(
    pg_server_url: str, private_kafka: str, tmp_path: Path
) -> None:
    name = f"drill_{uuid.uuid4().hex[:8]}"
    db_url = pg_database_url(pg_server_url, name)

    def sql(statement: str) -> None:
        async def run() -> None:
            conn = await asyncpg.connect(pg_server_url)
            try:
                await conn.execute(statement)
            finally:
                await conn.close()

        asyncio.run(run())

    sql(f'CREATE DATABASE "{name}"')
    private, public = generate_keypair()
    (tmp_path / "jwt.pem").write_text(public)
    Keyring.write_new(tmp_path / "data.key")
    env = {
        **os.environ, "KAFKA_BOOTSTRAP_SERVERS": private_kafka, "AUTH_JWT_PUBLIC_KEY_FILE": str(tmp_path / "jwt.pem"),
        "REFUND_DATABASE_URL": db_url, "REFUND_DATA_KEY_FILE": str(tmp_path / "data.key"), "REFUND_BANK_CALLBACK_SECRET": SECRET,
    }  # fmt: skip
    refund = ServiceProcess("refund", env, free_port(), tmp_path / "refund.log")
    officer = {"Authorization": "Bearer " + issue_token(private, "officer-1", ["tax_officer"])}
    run = uuid.uuid4().int % 10**4
    codes = [make_credit_code(f"91320600MA{run:04d}DR{n}") for n in range(3)]

    def ledger(code: str) -> dict[str, Any]:
        r = httpx.get(f"{refund.url}/v1/payers/{code}/ledger", headers=officer, timeout=10)
        return dict(r.json()) if r.status_code == 200 else {}

    def refunds(code: str) -> list[dict[str, Any]]:
        return list(httpx.get(f"{refund.url}/v1/payers/{code}/refunds", headers=officer, timeout=10).json()["items"])

    def pay(code: str, reference: str, fen: int) -> str:
        body = notification(code, reference, fen)
        headers = {"Content-Type": "application/xml", "X-Bank-Signature": sign(SECRET.encode(), body)}
        r = httpx.post(f"{refund.url}/v1/bank/notifications", content=body, headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        return str(r.json()["entries"][0]["outcome"])

    def on_topic() -> int:
        return sum(asyncio.run(end_offsets(private_kafka, "refund.events")).values())

    full = {c: liability(c, "2020-02", 400_000, 400_000) for c in codes}
    refund.run("migrate")
    refund.start()
    try:
        asyncio.run(produce(private_kafka, "relief.events", [liability_envelope(full[c], 1) for c in codes]))
        for n, code in enumerate(codes):
            wait(lambda c=code: ledger(c).get("totals", {}).get("due_fen") == 400_000, "dues")
            assert pay(code, f"BK-DRILL-{run}-{n}", 400_000) == "recorded"
        halved = [liability_envelope(liability(c, "2020-02", 400_000, 200_000), 2, full[c]) for c in codes[:2]]
        asyncio.run(produce(private_kafka, "relief.events", halved))
        wait(lambda: all(refunds(c) for c in codes[:2]), "the ex-officio refunds")
        before = {c: (ledger(c), refunds(c)) for c in codes}
        appended = sum(before[c][0]["version"] for c in codes)  # every event of the payers' ledgers
        wait(lambda: on_topic() == appended, "every appended event published")

        # The disaster: the service dies and its database is gone.
        refund.kill()
        sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        sql(f'CREATE DATABASE "{name}"')
        refund.run("migrate")
        done = subprocess.run(
            [str(Path(sys.executable).parent / "refund"), "restore", "--no-progress"],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        report = json.loads(done.stdout)
        assert sum(r["events"] for r in report["restored"] if r["topic"] == "refund.events") == appended, report
        assert {p["name"] for p in report["projections"]} >= {"stream-index", "refunds"}

        refund.start()
        assert {c: (ledger(c), refunds(c)) for c in codes} == before  # the same ledgers, credits, refunds
        # It carries on: the bank's notification again is a duplicate; the dues processor, reading
        # relief.events from the beginning again, decides nothing twice; new work is done.
        assert pay(codes[0], f"BK-DRILL-{run}-0", 400_000) == "duplicate"
        exempt = liability_envelope(liability(codes[2], "2020-02", 400_000, 0), 2, full[codes[2]])
        asyncio.run(produce(private_kafka, "relief.events", [exempt]))
        wait(lambda: refunds(codes[2]), "the third payer's refund, decided after the restore")
        assert refunds(codes[2])[0]["amount_fen"] == 400_000
        for code in codes[:2]:
            assert ledger(code) == before[code][0]
        assert all(ledger(c)["balanced"] for c in codes)
        new_events = ledger(codes[2])["version"] - before[codes[2]][0]["version"]
        assert new_events >= 2  # the due lowered, the credit and its ex-officio refund
        wait(lambda: on_topic() == appended + new_events, "the new decisions published")
        assert on_topic() == appended + new_events  # nothing restored was published again
    finally:
        refund.stop()
