"""A construction project's premium through the refund service: relief-calc's project liability
read from Kafka becomes a due on the project's own account, the bank's camt.054 naming the project
(`/USCC/<code>/PRJ/<project>`) pays it, and a reassessment lower is refunded ex officio — through
the real app on PostgreSQL with its consumers."""

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
from eventkit.testing.waiting import eventually_async as eventually
from eventkit.web.signature import sign
from eventkit.web.tokens import generate_keypair, issue_token
from iso20022 import DebitCreditNotification, Entry, Party, PaymentRemittance, ProjectRemittance
from refdata.codes import make_credit_code
from refund.adapters.tables import kernel
from refund.service import SPEC
from relief_calc.testing import liability, liability_envelope, project_liability, project_liability_envelope

SECRET = "bank-shared-secret"
CN = timezone(timedelta(hours=8))
RUN = int(time.time()) % 10**4
CONTRACTOR = make_credit_code(f"91320600MA{RUN:04d}PJ1")


@pytest_asyncio.fixture
async def app(new_pg_database: Callable[[str], str], kafka_bootstrap: str, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    db = new_pg_database("refund_projects")
    await asyncio.to_thread(upgrade, db, SPEC.migrations_dir)
    private, public = generate_keypair()
    Keyring.write_new(tmp_path / "data.key")
    settings = SPEC.settings_cls(
        database_url=db, kafka_bootstrap_servers=kafka_bootstrap, auth_jwt_public_key=public,
        data_key_file=str(tmp_path / "data.key"), bank_callback_secret=SECRET,
    )  # fmt: skip
    application = build_app(SPEC, settings)
    groups = SPEC.definition.subscriptions(application.state.runtime.store)
    await start_groups_at_end(db, kafka_bootstrap, kernel, groups, [TopicSpec("relief.events", 12)])
    async with application.router.lifespan_context(application):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://refund") as client:
            yield {"client": client, "private": private, "bootstrap": kafka_bootstrap}


def _notification(reference: str, fen: int, remittance: str) -> bytes:
    entry = Entry(
        bank_reference=reference, amount_fen=fen, credit_debit="CRDT", booking_date=date(2020, 3, 20),
        value_date=date(2020, 3, 20), end_to_end_id="NOTPROVIDED",
        debtor=Party(name="南通某某建设有限公司", account="6222020200001234567"), remittance=remittance,
    )  # fmt: skip
    return DebitCreditNotification(
        message_id=f"NTF-{reference}", created_at=datetime(2020, 3, 20, 10, tzinfo=CN), notification_id="N1",
        account="3206000000000001", entries=(entry,),
    ).to_xml()  # fmt: skip


async def test_a_premium_named_by_its_project_is_paid_on_its_own_account_and_refunded_when_reassessed_lower(
    app: dict[str, Any],
) -> None:
    client, officer = app["client"], {"Authorization": "Bearer " + issue_token(app["private"], "o", ["tax_officer"])}
    premium = project_liability(CONTRACTOR, "NT-1", 1_200_000, 0)
    month = liability(CONTRACTOR, "2020-03", 4_800, 4_800)  # the contractor's own March (a pension line)
    await produce(app["bootstrap"], "relief.events", [project_liability_envelope(premium, 1), liability_envelope(month, 1)])

    async def ledger() -> dict[str, Any]:
        r = await client.get(f"/v1/payers/{CONTRACTOR}/ledger", headers=officer)
        return r.json() if r.status_code == 200 else {"totals": {}}

    await eventually(lambda: _totals_are(ledger, due_fen=1_204_800), "both dues")
    for reference, fen, remittance in (
        (f"PJ{RUN}1", 1_200_000, ProjectRemittance(credit_code=CONTRACTOR, project_code="NT-1").text()),
        (f"PJ{RUN}2", 4_800, PaymentRemittance(credit_code=CONTRACTOR, fee_period="2020-03", insurance="pension").text()),
    ):
        body = _notification(reference, fen, remittance)
        r = await client.post(
            "/v1/bank/notifications", content=body,
            headers={"Content-Type": "application/xml", "X-Bank-Signature": sign(SECRET.encode(), body)},
        )  # fmt: skip
        assert r.status_code == 200 and [e["outcome"] for e in r.json()["entries"]] == ["recorded"], r.text
    statement = (await client.get(f"/v1/payers/{CONTRACTOR}/ledger/statement", headers=officer)).json()["items"]
    lines = {(x["insurance"], x["project"]): (x["due_fen"], x["paid_fen"]) for x in statement}
    assert lines == {("pension", None): (4_800, 4_800), ("work_injury", "NT-1"): (1_200_000, 1_200_000)}

    relieved = project_liability(CONTRACTOR, "NT-1", 1_200_000, 1_000_000, months_exempt=10)
    await produce(app["bootstrap"], "relief.events", [project_liability_envelope(relieved, 2, premium)])

    async def requested() -> list[dict[str, Any]] | None:
        r = await client.get(f"/v1/payers/{CONTRACTOR}/refunds", headers=officer)
        return r.json()["items"] or None

    [item] = await eventually(requested, "the ex-officio refund of the project's credit")
    assert (item["amount_fen"], item["ex_officio"], item["status"]) == (1_000_000, True, "requested")
    final = await ledger()
    assert final["balanced"] and [(c["project"], c["open_fen"], c["settlement"]) for c in final["credits"]] == [
        ("NT-1", 1_000_000, "refund")
    ]


async def _totals_are(ledger: Callable[[], Any], **expected: int) -> bool:
    totals = (await ledger())["totals"]
    return all(totals.get(k) == v for k, v in expected.items())
