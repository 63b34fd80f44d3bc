"""Refunds through a real bank simulator: a February 2020 credit is requested ex officio to the
account the payer paid from, approved, instructed as pain.001 (end-to-end id = refund id) and
settled; a rejected account is retried to a corrected one; fifty concurrent requests for one
credit make one instruction; a payer may choose offset until the refund is instructed — the real
app on PostgreSQL with its consumers and bank worker, the simulator as its own process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio

from eventkit.cli import build_app
from eventkit.crypto import Keyring
from eventkit.kafka import TopicSpec
from eventkit.migrations import upgrade
from eventkit.testing.offsets import start_groups_at_end
from eventkit.testing.server import ServiceProcess
from eventkit.web.tokens import generate_keypair
from refdata.codes import make_credit_code
from refund.adapters.tables import kernel
from refund.service import SPEC

from .live import SECRET, Payers, bank_summary, bearer, eventually

RUN = int(time.time()) % 10**4


def code(n: int) -> str:
    return make_credit_code(f"91320600MA{RUN:04d}R{n:02d}")


@pytest_asyncio.fixture
async def live(
    new_pg_database: Callable[[str], str], kafka_bootstrap: str, tmp_path: Path, bank: ServiceProcess
) -> AsyncIterator[Payers]:
    db = new_pg_database("refund_flow")
    await asyncio.to_thread(upgrade, db, SPEC.migrations_dir)
    private, public = generate_keypair()
    Keyring.write_new(tmp_path / "data.key")
    settings = SPEC.settings_cls(
        database_url=db, kafka_bootstrap_servers=kafka_bootstrap, auth_jwt_public_key=public,
        data_key_file=str(tmp_path / "data.key"), bank_callback_secret=SECRET, bank_url=bank.url,
        bank_worker_poll_s=0.1, bank_status_after_s=0.3, bank_status_max_s=2.0, two_person_above_fen=300_000,
    )  # fmt: skip
    application = build_app(SPEC, settings)
    runtime = application.state.runtime
    groups = SPEC.definition.subscriptions(runtime.store)
    await start_groups_at_end(
        db, kafka_bootstrap, kernel, groups, [TopicSpec("relief.events", 12), TopicSpec("refund.events", 12)]
    )
    async with application.router.lifespan_context(application):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://refund") as client:
            yield Payers(client, private, kafka_bootstrap, bearer(private, "officer-1", "tax_officer"))


async def _refund(p: Payers, payer: str, refund_id: str) -> dict[str, Any]:
    r = await p.client.get(f"/v1/payers/{payer}/refunds/{refund_id}", headers=p.officer)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def _status_is(p: Payers, payer: str, refund_id: str, status: str) -> dict[str, Any] | None:
    refund = await _refund(p, payer, refund_id)
    return refund if refund["status"] == status else None


async def test_an_ex_officio_refund_is_approved_instructed_and_settled_once(live: Payers, bank: ServiceProcess) -> None:
    p, payer = live, code(1)
    refund_id = await p.with_credit(payer, "6222020200001234567")
    refund = await _refund(p, payer, refund_id)
    assert (refund["status"], refund["amount_fen"], refund["ex_officio"]) == ("requested", 200_000, True)
    assert "6222020200001234567" not in str(refund)

    approver = bearer(p.private, "approver-1", "refund_approver")
    assert (await p.client.post(f"/v1/payers/{payer}/refunds/{refund_id}/approval", headers=p.officer)).status_code == 403
    r = await p.client.post(f"/v1/payers/{payer}/refunds/{refund_id}/approval", headers=approver)
    assert r.status_code == 200 and r.json()["status"] == "approved", r.text

    settled = await eventually(lambda: _status_is(p, payer, refund_id, "settled"), "the settlement")
    kinds = [h["type"] for h in settled["history"]]
    assert kinds.count("refund.RefundInstructed") == 1 and kinds[-1] == "refund.RefundSettled"
    ledger = await p.ledger(payer)
    assert ledger["balanced"] is True
    assert (ledger["totals"]["refunded_fen"], ledger["totals"]["credit_fen"], ledger["totals"]["balance_fen"]) == (200_000, 0, 0)
    summary = bank_summary(bank)
    assert (summary["paid_count"], summary["paid_total_fen"], summary["end_to_end_ids_paid_twice"]) == (1, 200_000, 0), summary


async def test_a_rejected_account_is_retried_to_a_corrected_one_under_the_same_end_to_end_id(
    live: Payers, bank: ServiceProcess
) -> None:
    p, payer = live, code(2)
    refund_id = await p.with_credit(payer, "6222020200009990000", paid=900_000, after=300_000)  # …0000: closed (AC04)
    first, second = bearer(p.private, "approver-1", "refund_approver"), bearer(p.private, "approver-2", "refund_approver")
    url = f"/v1/payers/{payer}/refunds/{refund_id}"
    r = await p.client.post(url + "/approval", headers=first)
    assert r.json()["status"] == "requested" and r.json()["required_approvals"] == 2  # 600,000 fen: two people
    again = await p.client.post(url + "/approval", headers=first)
    assert again.json()["approvals"] == ["approver-1"]  # the same officer twice is one approval
    await p.client.post(url + "/approval", headers=second)
    rejected = await eventually(lambda: _status_is(p, payer, refund_id, "rejected"), "the bank's rejection")
    assert rejected["history"][-1]["reason_code"] == "AC04"

    same = await p.client.post(
        url + "/retry", json={"account": "6222020200009990000", "account_name": "南通某某"}, headers=p.officer
    )
    assert same.status_code == 422 and same.json()["errors"][0]["field"] == "body.account"
    r = await p.client.post(
        url + "/retry", json={"account": "6222020200001112223", "account_name": "南通某某"}, headers=p.officer
    )
    assert r.status_code == 200 and (r.json()["status"], r.json()["attempt"]) == ("requested", 2), r.text
    for approver in (first, second):
        await p.client.post(url + "/approval", headers=approver)
    settled = await eventually(lambda: _status_is(p, payer, refund_id, "settled"), "the settlement of the retry")
    instructed = [h for h in settled["history"] if h["type"] == "refund.RefundInstructed"]
    assert [(h["attempt"], h["end_to_end_id"]) for h in instructed] == [(1, refund_id), (2, refund_id)]
    assert (await p.ledger(payer))["totals"]["refunded_fen"] == 600_000
    summary = bank_summary(bank)
    assert (summary["paid_count"], summary["rejected_count"], summary["paid_total_fen"]) == (1, 1, 600_000), summary


async def test_fifty_concurrent_settle_requests_for_one_credit_make_one_instruction(live: Payers, bank: ServiceProcess) -> None:
    p, payer = live, code(3)
    first = await p.with_credit(payer, "6222020200001234567")
    # the payer chooses offset before the ex-officio refund is instructed: the refund is released
    payer_token = bearer(p.private, "payer", "payer", payer=payer)
    credit_id = (await p.ledger(payer))["credits"][0]["credit_id"]
    url = f"/v1/payers/{payer}/credits/{credit_id}/settlement"
    r = await p.client.post(url, json={"settlement": "offset"}, headers=payer_token)
    assert r.status_code == 200 and r.json()["settlement"] == "offset", r.text
    assert "refund.RefundConvertedToOffset" in r.json()["events"]
    assert (await _refund(p, payer, first))["status"] == "converted"
    refused = await p.client.post(url, json={"settlement": "refund"}, headers=payer_token)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.settlement"
    other = bearer(p.private, "payer", "payer", payer=code(9))
    assert (await p.client.post(url, json={"settlement": "offset"}, headers=other)).status_code == 403

    # officers settle it by refund after all: fifty concurrent requests, each with its own key
    answers = await asyncio.gather(
        *(
            p.client.post(url, json={"settlement": "refund"}, headers={**p.officer, "Idempotency-Key": f"s-{i}"})
            for i in range(50)
        )
    )
    assert [a.status_code for a in answers] == [200] * 50, [a.text for a in answers if a.status_code != 200]
    assert sum("refund.RefundRequested" in a.json()["events"] for a in answers) == 1
    live_refunds = [x for x in (await p.client.get(f"/v1/payers/{payer}/refunds", headers=p.officer)).json()["items"]
                    if x["status"] == "requested"]  # fmt: skip
    assert len(live_refunds) == 1
    refund_id = live_refunds[0]["refund_id"]
    approver = bearer(p.private, "approver-1", "refund_approver")
    url = f"/v1/payers/{payer}/refunds/{refund_id}/approval"
    await asyncio.gather(*(p.client.post(url, headers=approver) for _ in range(50)))
    settled = await eventually(lambda: _status_is(p, payer, refund_id, "settled"), "the settlement")
    assert [h["type"] for h in settled["history"]].count("refund.RefundApproved") == 1
    summary = bank_summary(bank)
    assert (summary["paid_count"], summary["refused_duplicates"]) == (1, 0), summary
    assert (await p.ledger(payer))["balanced"] is True
