"""Reconciliation through the real app, on SQLite and on PostgreSQL, with a broker of the test's
own (the projection follows ``refund.events`` from the beginning, and is rebuilt at the end):
payments arrive as camt.054 notifications, a refund is settled by the domain's own decisions, the
bank's camt.053 statement lacks one payment and has one line nobody recorded — exactly those two
become reconciliation items; the same statement again records nothing; the officer resolves one,
once; the daily report adds up; the rebuilt projection has the same fingerprint."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from eventkit.cli import build_app, build_runtime
from eventkit.crypto import Keyring, Sealed
from eventkit.migrations import upgrade
from eventkit.projection import fingerprint
from eventkit.rebuild import rebuild
from eventkit.testing.waiting import eventually_async as eventually
from eventkit.web.signature import sign
from eventkit.web.tokens import generate_keypair, issue_token
from iso20022 import Balance, DebitCreditNotification, Entry, Party, PaymentRemittance, Statement
from refdata.codes import make_credit_code
from refund.adapters import reconciliation as recon
from refund.adapters.tables import kernel
from refund.application.dues import load_ledger
from refund.domain import allocation as alloc
from refund.domain import refunds as rf
from refund.domain.events import ledger_stream
from refund.service import SPEC

SECRET = "bank-shared-secret"
CN = timezone(timedelta(hours=8))
PAYER = make_credit_code("91320600MA77777B0")
ACCOUNT = "3206000000000001"
RULE = alloc.SettlementRule()


def entry(
    ref: str, fen: int, day: date, *, debit: bool = False, e2e: str = "NOTPROVIDED", remittance: str | None = None
) -> Entry:
    party = Party(name="南通某某机械有限公司", account="6222020200001234567")
    return Entry(
        bank_reference=ref, amount_fen=fen, credit_debit="DBIT" if debit else "CRDT", booking_date=day, value_date=day,
        end_to_end_id=e2e, debtor=None if debit else party, creditor=party if debit else None, remittance=remittance,
    )  # fmt: skip


def statement(day: date, *entries: Entry, message_id: str = "STM-1") -> Statement:
    opening = 1_000_000
    return Statement(
        message_id=message_id, created_at=datetime.now(CN), statement_id=f"{ACCOUNT}-{day:%Y%m%d}", statement_date=day,
        account=ACCOUNT, opening_balance=Balance.of(opening),
        closing_balance=Balance.of(opening + sum(e.signed_fen for e in entries)), entries=entries,
    )  # fmt: skip


async def settle_a_refund(runtime: Any, keyring: Keyring, refund_id: str, bank_reference: str) -> int:
    """February 2020 reassessed to nothing after it was paid: the credit is refunded ex officio,
    approved, instructed and settled by the bank — the domain's own decisions, appended."""
    async with runtime.sessions() as session, session.begin():
        ledger, version = await load_ledger(session, runtime.store, PAYER)
        notice = alloc.LiabilityNotice(
            PAYER, "2020-02", "reassessed", "lia-2020-02-2", 2, (alloc.LiabilityLineNotice("pension", 0, 8_000),)
        )
        by_hand = dataclasses.replace(RULE, request_ex_officio=False)  # the request below, with its own id
        steps = [lambda lg: alloc.record_liability(lg, notice, by_hand)]
        account = keyring.blind_index("6222020200001234567", context="refund/refund.account")
        sealed = Sealed.seal("6222020200001234567", keyring, "refund/refund.account")
        req = rf.RefundRequest(refund_id, sealed, account, "南通某某机械有限公司", requested_by="system", ex_officio=True)
        digest = hashlib.sha256(b"pain.001").hexdigest()
        steps += [
            lambda lg: rf.request(lg, req),
            lambda lg: rf.approve(lg, refund_id, "officer-b", rf.ApprovalPolicy()),
            lambda lg: rf.instruct(lg, refund_id, "MSG-1", digest),
            lambda lg: rf.record_status(lg, refund_id, rf.BankStatus(refund_id, "MSG-1", "ACSC", bank_reference=bank_reference)),
        ]
        for step in steps:
            events = step(ledger)
            await runtime.store.append(session, ledger_stream(PAYER), version, events, subject=PAYER)
            for e in events:
                ledger.apply(e)
            version += len(events)
        return ledger.money_out


async def test_a_statement_with_one_missing_and_one_extra_line_yields_exactly_those_two_items(
    database_url: str, private_kafka: str, tmp_path: Path
) -> None:
    await asyncio.to_thread(upgrade, database_url, SPEC.migrations_dir)
    private, public = generate_keypair()
    Keyring.write_new(tmp_path / "data.key")
    settings = SPEC.settings_cls(
        database_url=database_url, kafka_bootstrap_servers=private_kafka, auth_jwt_public_key=public,
        data_key_file=str(tmp_path / "data.key"), bank_callback_secret=SECRET, topic_partitions=3,
    )  # fmt: skip
    app = build_app(SPEC, settings)
    runtime = app.state.runtime
    keyring = settings.keyring()
    assert keyring is not None
    officer = {"Authorization": "Bearer " + issue_token(private, "officer-a", ["tax_officer"])}
    auditor = {"Authorization": "Bearer " + issue_token(private, "auditor-a", ["auditor"])}
    payer = {"Authorization": "Bearer " + issue_token(private, "p", ["payer"], payer=PAYER)}
    today = datetime.now(UTC).astimezone(CN).date()  # a settled refund belongs to the day it was recorded
    day = today.isoformat()
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://refund") as client:
            # February 2020 assessed (16,000 employer + 8,000 individual), paid by B1; B2 finds nothing due: parked.
            async with runtime.sessions() as session, session.begin():
                notice = alloc.LiabilityNotice(
                    PAYER, "2020-02", "assessed", "lia-2020-02-1", 1, (alloc.LiabilityLineNotice("pension", 16_000, 8_000),)
                )
                await runtime.store.append(
                    session, ledger_stream(PAYER), 0, alloc.record_liability((await load_ledger(session, runtime.store, PAYER))[0], notice, RULE), subject=PAYER
                )  # fmt: skip
            remit = PaymentRemittance(credit_code=PAYER, fee_period="2020-02", insurance="pension").text()
            camt054 = DebitCreditNotification(
                message_id="NTF-1", created_at=datetime.now(CN), notification_id="N1", account=ACCOUNT,
                entries=(entry("B1", 24_000, today, remittance=remit), entry("B2", 5_000, today, remittance=remit)),
            ).to_xml()  # fmt: skip
            r = await client.post(
                "/v1/bank/notifications", content=camt054, headers={"Content-Type": "application/xml", "X-Bank-Signature": sign(SECRET.encode(), camt054)}
            )  # fmt: skip
            assert [e["outcome"] for e in r.json()["entries"]] == ["recorded", "parked"], r.text
            assert await settle_a_refund(runtime, keyring, "RF-1", "B3") == 16_000

            async def projected() -> bool:
                async with runtime.sessions() as session:
                    return int(await session.scalar(sa.select(sa.func.count()).select_from(recon.records)) or 0) == 3

            await eventually(projected, "the records reaching the projection")

            # The bank's statement: B1 and the refund (by its end-to-end id) as recorded, B2 lacking, B9 unknown.
            stmt = statement(today, entry("B1", 24_000, today), entry("BK-OUT-9", 16_000, today, debit=True, e2e="RF-1"),
                             entry("B9", 777, today))  # fmt: skip
            xml = stmt.to_xml()
            assert (await client.post("/v1/reconciliation/statements", content=xml, headers=payer)).status_code == 403
            r = await client.post(
                "/v1/reconciliation/statements", content=xml, headers={**officer, "Content-Type": "application/xml"}
            )
            assert r.status_code == 201, r.text
            out = r.json()
            assert (out["recorded"], out["revision"], out["matched"]) == (True, 1, 2)
            raised = sorted(
                (i["kind"], i["bank_reference"], i["statement_amount_fen"], i["recorded_amount_fen"]) for i in out["raised"]
            )
            assert raised == [("extra", "B9", 777, None), ("missing", "B2", None, 5_000)]

            async def events_count() -> int:
                async with runtime.sessions() as session:
                    t = kernel.events  # the ledger's own events (public snapshots follow on their own time)
                    query = sa.select(sa.func.count()).select_from(t).where(t.c.event_type.not_like("public.%"))
                    return int(await session.scalar(query) or 0)

            # The same statement again (re-fetched: a new message id, its JSON form) records nothing.
            before = await events_count()
            again = statement(today, *stmt.entries, message_id="STM-2").model_dump_json(by_alias=True)
            r = await client.post(
                "/v1/reconciliation/statements", content=again, headers={**officer, "Content-Type": "application/json"}
            )
            assert r.status_code == 200, r.text
            assert (r.json()["recorded"], r.json()["raised"], r.json()["closed"]) == (False, [], [])
            assert await events_count() == before

            bad = await client.post(
                "/v1/reconciliation/statements", content=b"<Document/>", headers={**officer, "Content-Type": "application/xml"}
            )
            assert bad.status_code == 422 and bad.json()["errors"][0]["field"]

            async def listed() -> list[dict[str, Any]]:
                r = await client.get("/v1/reconciliation/items", params={"status": "open", "day": day}, headers=auditor)
                assert r.status_code == 200, r.text
                return list(r.json()["items"])

            async def two_open() -> bool:
                return len(await listed()) == 2

            await eventually(two_open, "the items reaching the read model")
            assert (await client.get("/v1/reconciliation/items", headers=payer)).status_code == 403
            extra = next(i for i in await listed() if i["kind"] == "extra")
            report = (await client.get(f"/v1/reconciliation/reports/{day}", headers=officer)).json()["statements"][0]
            assert (report["opening_balance_fen"], report["closing_balance_fen"]) == (
                1_000_000,
                1_000_000 + 24_000 - 16_000 + 777,
            )
            assert report["matched"] == {"count": 2, "amount_fen": 40_000}
            assert (report["missing"]["count"], report["missing"]["amount_fen"]) == (1, 5_000)
            assert (report["extra"]["count"], report["extra"]["amount_fen"], report["wrong_amount"]["count"]) == (1, 777, 0)

            path = f"/v1/reconciliation/items/{extra['item_id']}/resolve"
            assert (await client.post(path, json={"note": ""}, headers=officer)).status_code == 422
            done = await client.post(path, json={"note": "bank charge booked by hand; voucher 17"}, headers=officer)
            assert done.status_code == 200 and done.json()["resolution"] == "resolved", done.text
            twice = await client.post(path, json={"note": "again"}, headers=officer)
            assert twice.status_code == 409, twice.text

            async def one_open() -> bool:
                return [i["kind"] for i in await listed()] == ["missing"]

            await eventually(one_open, "the resolution reaching the read model")
    # Rebuilt from the log, the projection is the same to the byte.
    projection = next(p for p in SPEC.definition.projections if p.name == "reconciliation")
    offline = build_runtime(SPEC, settings, run_relay=False, run_consumers=False)
    try:
        live = await fingerprint(offline.sessions, projection.tables)
        (result,) = await rebuild(offline, [projection], show_progress=False)
        assert result.fingerprint == live
    finally:
        await offline.engine.dispose()
