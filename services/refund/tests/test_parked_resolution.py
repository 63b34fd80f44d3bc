"""Officers resolving parked payments through the real app on PostgreSQL: the money assigned to a
payer lands on its ledger as a payment, once — of two concurrent resolutions one wins and the
other gets a 409; a returned payment is resolved too; the list filters by status."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx

from eventkit.cli import build_app
from eventkit.crypto import Keyring
from eventkit.kafka import TopicSpec
from eventkit.migrations import upgrade
from eventkit.testing.offsets import start_groups_at_end
from eventkit.web.signature import sign
from eventkit.web.tokens import generate_keypair, issue_token
from iso20022 import DebitCreditNotification, Entry, Party
from refdata.codes import make_credit_code
from refund.adapters.tables import kernel
from refund.application.dues import load_ledger
from refund.domain import allocation as alloc
from refund.domain.events import ledger_stream
from refund.service import SPEC

SECRET = "bank-shared-secret"
CN = timezone(timedelta(hours=8))
RUN = int(time.time()) % 10**4
PAYER = make_credit_code(f"91320600MA{RUN:04d}P01")


async def test_parked_money_is_assigned_once_or_returned(
    new_pg_database: Callable[[str], str], kafka_bootstrap: str, tmp_path: Path
) -> None:
    db = new_pg_database("refund_parked")
    await asyncio.to_thread(upgrade, db, SPEC.migrations_dir)
    private, public = generate_keypair()
    Keyring.write_new(tmp_path / "data.key")
    settings = SPEC.settings_cls(
        database_url=db, kafka_bootstrap_servers=kafka_bootstrap, auth_jwt_public_key=public,
        data_key_file=str(tmp_path / "data.key"), bank_callback_secret=SECRET,
    )  # fmt: skip
    app = build_app(SPEC, settings)
    runtime = app.state.runtime
    topics = [TopicSpec("relief.events", 12), TopicSpec("refund.events", 12)]
    await start_groups_at_end(db, kafka_bootstrap, kernel, SPEC.definition.subscriptions(runtime.store), topics)
    officer = {"Authorization": "Bearer " + issue_token(private, "officer-a", ["tax_officer"])}
    auditor = {"Authorization": "Bearer " + issue_token(private, "auditor-a", ["auditor"])}
    party = Party(name="南通某某机械有限公司", account="6222020200001234567")
    refs = (f"PK{RUN}01", f"PK{RUN}02")
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://refund") as client:
            async with runtime.sessions() as session, session.begin():  # March is due: 8,000 fen
                notice = alloc.LiabilityNotice(
                    PAYER, "2020-03", "assessed", f"lia-{RUN}", 1, (alloc.LiabilityLineNotice("pension", 6_000, 2_000),)
                )
                ledger, version = await load_ledger(session, runtime.store, PAYER)
                events = alloc.record_liability(ledger, notice, alloc.SettlementRule())
                await runtime.store.append(session, ledger_stream(PAYER), version, events, subject=PAYER)
            body = DebitCreditNotification(
                message_id=f"NTF-{RUN}", created_at=datetime.now(CN), notification_id="N1", account="3206000000000001",
                entries=tuple(
                    Entry(bank_reference=ref, amount_fen=5_000, credit_debit="CRDT", booking_date=date(2020, 3, 20),
                          value_date=date(2020, 3, 20), end_to_end_id="NOTPROVIDED", debtor=party, remittance="社保费")
                    for ref in refs
                ),
            ).to_xml()  # fmt: skip
            headers = {"Content-Type": "application/xml", "X-Bank-Signature": sign(SECRET.encode(), body)}
            r = await client.post("/v1/bank/notifications", content=body, headers=headers)
            assert [e["reason"] for e in r.json()["entries"]] == ["unreadable_remittance"] * 2, r.text

            assign = f"/v1/bank/parked/{refs[0]}/assign"
            wrong_check = PAYER[:-1] + ("1" if PAYER[-1] == "0" else "0")  # any other check character is wrong
            bad = await client.post(assign, json={"credit_code": wrong_check, "note": "x"}, headers=officer)
            assert bad.status_code == 422 and bad.json()["errors"][0]["field"].endswith("credit_code"), bad.text
            forbidden = await client.post(assign, json={"credit_code": PAYER, "note": "x"}, headers=auditor)
            assert forbidden.status_code == 403
            first, second = await asyncio.gather(
                client.post(
                    assign, json={"credit_code": PAYER, "fee_period": "2020-03", "note": "payer called"}, headers=officer
                ),
                client.post(assign, json={"credit_code": PAYER, "note": "payer wrote"}, headers=officer),
            )
            assert sorted([first.status_code, second.status_code]) == [200, 409], (first.text, second.text)
            won = first if first.status_code == 200 else second
            assert (won.json()["resolution"], won.json()["payment_id"], won.json()["by"]) == (
                "assigned",
                f"P-{refs[0]}",
                "officer-a",
            )
            ledger = (await client.get(f"/v1/payers/{PAYER}/ledger", headers=officer)).json()
            assert (ledger["totals"]["paid_fen"], ledger["totals"]["outstanding_fen"], ledger["balanced"]) == (5_000, 3_000, True)

            back = f"/v1/bank/parked/{refs[1]}/return"
            key = {**officer, "Idempotency-Key": f"ret-{RUN}"}
            r1 = await client.post(back, json={"note": "not a contribution; back to the sender"}, headers=key)
            r2 = await client.post(back, json={"note": "not a contribution; back to the sender"}, headers=key)
            assert (r1.status_code, r2.status_code, r2.headers.get("Idempotent-Replayed")) == (200, 200, "true")
            assert (await client.post(back, json={"note": "again"}, headers=officer)).status_code == 409
            late = await client.post(
                f"/v1/bank/parked/{refs[1]}/assign", json={"credit_code": PAYER, "note": "x"}, headers=officer
            )
            assert late.status_code == 409
            assert (await client.post("/v1/bank/parked/NOPE/return", json={"note": "x"}, headers=officer)).status_code == 404

            def mine(items: list[dict[str, object]]) -> list[tuple[object, object]]:
                return [(p["bank_reference"], p["status"]) for p in items if str(p["bank_reference"]).startswith(f"PK{RUN}")]

            listed = (await client.get("/v1/bank/parked", headers=auditor)).json()["items"]
            assert mine(listed) == [(refs[0], "resolved"), (refs[1], "resolved")]
            still_open = (await client.get("/v1/bank/parked", params={"status": "open"}, headers=auditor)).json()["items"]
            assert mine(still_open) == []
            resolved = (await client.get("/v1/bank/parked", params={"status": "resolved"}, headers=auditor)).json()["items"]
            assert {p["resolution"]["resolution"] for p in resolved if p["bank_reference"] in refs} == {"assigned", "returned"}
            assert "6222020200001234567" not in str(listed)
            assert (await client.get("/v1/bank/parked", params={"status": "bogus"}, headers=auditor)).status_code == 422
