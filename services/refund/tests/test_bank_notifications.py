"""Payments the bank notifies (camt.054, signed) land on the payer's ledger once, reversals reverse
them, and whatever matches no ledger is parked for an officer — through the real app on
PostgreSQL, with its consumers reading a real liability event from Kafka for the dues."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio

from eventkit.cli import build_app
from eventkit.crypto import Keyring
from eventkit.kafka import TopicSpec
from eventkit.migrations import upgrade
from eventkit.testing.offsets import start_groups_at_end
from eventkit.testing.proofs import produce
from eventkit.web.signature import sign
from eventkit.web.tokens import generate_keypair, issue_token
from iso20022 import DebitCreditNotification, Entry, Party, PaymentRemittance
from refdata.codes import make_credit_code
from refund.adapters.tables import kernel
from refund.service import SPEC
from relief_calc.testing import liability, liability_envelope

SECRET = "bank-shared-secret"
CN = timezone(timedelta(hours=8))
RUN = int(time.time()) % 10**4
PAYER = make_credit_code(f"91320600MA{RUN:04d}B01")
STRANGER = make_credit_code(f"91320600MA{RUN:04d}B02")


@pytest_asyncio.fixture
async def app(new_pg_database: Callable[[str], str], kafka_bootstrap: str, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    db = new_pg_database("refund_bank")
    await asyncio.to_thread(upgrade, db, SPEC.migrations_dir)
    private, public = generate_keypair()
    Keyring.write_new(tmp_path / "data.key")
    settings = SPEC.settings_cls(
        database_url=db,
        kafka_bootstrap_servers=kafka_bootstrap,
        auth_jwt_public_key=public,
        data_key_file=str(tmp_path / "data.key"),
        bank_callback_secret=SECRET,
    )
    application = build_app(SPEC, settings)
    runtime = application.state.runtime
    groups = SPEC.definition.subscriptions(runtime.store)
    await start_groups_at_end(db, kafka_bootstrap, kernel, groups, [TopicSpec("relief.events", 12)])
    async with application.router.lifespan_context(application):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://refund") as client:
            yield {"client": client, "private": private, "bootstrap": kafka_bootstrap}


def _entry(ref: str, fen: int, remittance: str | None, **over: Any) -> Entry:
    fields: dict[str, Any] = {
        "bank_reference": ref,
        "amount_fen": fen,
        "credit_debit": "CRDT",
        "booking_date": date(2020, 3, 20),
        "value_date": date(2020, 3, 20),
        "end_to_end_id": "NOTPROVIDED",
        "debtor": Party(name="南通某某机械有限公司", account="6222020200001234567"),
        "remittance": remittance,
    } | over
    return Entry(**fields)


def _notification(*entries: Entry) -> bytes:
    return DebitCreditNotification(
        message_id=f"NTF-{RUN}-{entries[0].bank_reference}",
        created_at=datetime(2020, 3, 20, 10, 0, tzinfo=CN),
        notification_id="N1",
        account="3206000000000001",
        entries=entries,
    ).to_xml()


async def _post(client: httpx.AsyncClient, body: bytes, secret: str = SECRET) -> httpx.Response:
    headers = {"Content-Type": "application/xml", "X-Bank-Signature": sign(secret.encode(), body)}
    return await client.post("/v1/bank/notifications", content=body, headers=headers)


async def test_payments_land_once_reversals_reverse_and_the_rest_is_parked(app: dict[str, Any]) -> None:
    client, private = app["client"], app["private"]
    officer = {"Authorization": "Bearer " + issue_token(private, "o", ["tax_officer"])}
    # relief-calc assessed March: pension employer 400,000 fen and individual 400,000 fen due.
    env = liability_envelope(liability(PAYER, "2020-03", 400_000, 400_000, individual_fen=400_000), 1)
    await produce(app["bootstrap"], "relief.events", [env])

    async def due() -> int:
        r = await client.get(f"/v1/payers/{PAYER}/ledger", headers=officer)
        return int(r.json()["totals"]["due_fen"]) if r.status_code == 200 else 0

    deadline = time.monotonic() + 60
    while await due() != 800_000:
        assert time.monotonic() < deadline, "the dues never arrived"
        await asyncio.sleep(0.2)

    remit = PaymentRemittance(credit_code=PAYER, fee_period="2020-03", insurance="pension").text()
    payment = _entry(f"BK{RUN}0001", 500_000, remit)
    body = _notification(payment)
    wrong = await _post(client, body, secret="wrong")
    assert wrong.status_code == 401, wrong.text
    assert (
        await client.post("/v1/bank/notifications", content=body, headers={"Content-Type": "application/xml"})
    ).status_code == 401
    first = await _post(client, body)
    assert first.status_code == 200, first.text
    assert [e["outcome"] for e in first.json()["entries"]] == ["recorded"]
    again = await _post(client, body)  # the bank's duplicate callback
    assert [e["outcome"] for e in again.json()["entries"]] == ["duplicate"]

    ledger = (await client.get(f"/v1/payers/{PAYER}/ledger", headers=officer)).json()
    assert (ledger["totals"]["paid_fen"], ledger["totals"]["outstanding_fen"], ledger["balanced"]) == (500_000, 300_000, True)

    # Unreadable remittance, unknown payer and a reversal of a payment never seen: parked, once.
    odd = _notification(
        _entry(f"BK{RUN}0002", 1_000, "货款"),
        _entry(f"BK{RUN}0003", 2_000, PaymentRemittance(credit_code=STRANGER, fee_period="2020-03", insurance="pension").text()),
        _entry(f"BK{RUN}0004", 3_000, None, credit_debit="DBIT", reversal=True, original_bank_reference="BK-NEVER-SEEN"),
    )
    r = await _post(client, odd)
    assert [(e["outcome"], e["reason"]) for e in r.json()["entries"]] == [
        ("parked", "unreadable_remittance"),
        ("parked", "unknown_payer"),
        ("parked", "unknown_original"),
    ]
    assert [e["outcome"] for e in (await _post(client, odd)).json()["entries"]] == ["duplicate"] * 3
    listed = (await client.get("/v1/bank/parked", headers=officer)).json()["items"]
    mine = [p for p in listed if p["bank_reference"].startswith(f"BK{RUN}")]
    assert [p["reason"] for p in mine] == ["unreadable_remittance", "unknown_payer", "unknown_original"]
    assert all(p["debtor_account"] and "*" in p["debtor_account"] and p["debtor_account"].endswith("4567") for p in mine)
    assert "6222020200001234567" not in str(listed)  # the account is sealed and masked
    payer_token = {"Authorization": "Bearer " + issue_token(private, "p", ["payer"], payer=PAYER)}
    assert (await client.get("/v1/bank/parked", headers=payer_token)).status_code == 403

    # The bank reverses the payment: the dues are outstanding again, the ledger still balances.
    reversal = _entry(
        f"BK{RUN}0005", 500_000, None, credit_debit="DBIT", reversal=True, original_bank_reference=payment.bank_reference
    )
    r = await _post(client, _notification(reversal))
    assert [e["outcome"] for e in r.json()["entries"]] == ["reversed"]
    ledger = (await client.get(f"/v1/payers/{PAYER}/ledger", headers=officer)).json()
    assert (ledger["totals"]["outstanding_fen"], ledger["balanced"]) == (800_000, True)

    bad = await _post(client, b"<Document>not camt</Document>")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"]
