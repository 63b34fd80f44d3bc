"""The late fee over REST counts what the refund ledger says was paid: relief-calc runs (relay,
consumers, assessor) on a fresh database (SQLite and PostgreSQL), a declaration reaches it on
declaration.events and the refund service's ledger events on refund.events, published the way the
kernel publishes them (CloudEvents envelopes, key = the payer), with the refund service's own event
classes (the service itself never imports them: it reads through its tolerant readers)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest_asyncio
import sqlalchemy as sa

from eventkit.cli import build_app
from eventkit.envelope import Envelope
from eventkit.events import Event, new_envelope
from eventkit.migrations import upgrade
from eventkit.testing.offsets import start_groups_at_end
from eventkit.testing.proofs import produce, read_topic
from eventkit.testing.waiting import eventually_async as eventually
from eventkit.web.tokens import generate_keypair, issue_token
from refdata.codes import make_credit_code
from refund.domain import events as refund
from relief_calc.adapters import readers as r
from relief_calc.adapters.paid import paid
from relief_calc.adapters.tables import kernel
from relief_calc.service import SPEC

CODE = make_credit_code(f"91320600MA{secrets.randbelow(10**4):04d}LF1")


@pytest_asyncio.fixture
async def svc(database_url: str, kafka_bootstrap: str) -> AsyncIterator[tuple[httpx.AsyncClient, Any, str]]:
    await asyncio.to_thread(upgrade, database_url, SPEC.migrations_dir)
    groups = SPEC.definition.subscriptions()
    await start_groups_at_end(database_url, kafka_bootstrap, kernel, groups, SPEC.definition.topic_specs(12, 1))
    private, public = generate_keypair()
    settings = SPEC.settings_cls(database_url=database_url, kafka_bootstrap_servers=kafka_bootstrap, auth_jwt_public_key=public)
    app = build_app(SPEC, settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relief-calc") as client:
            yield client, app, issue_token(private, f"payer-{CODE}", ["payer"], payer=CODE)


def ledger(event: Event, at: str, version: int) -> Envelope:
    """A ledger event as the refund service's relay publishes it, recorded at ``at`` (ISO, UTC)."""
    return new_envelope(
        event,
        source="/relief/refund",
        subject=CODE,
        stream_id=f"ledger-{CODE}",
        stream_version=version,
        time=datetime.fromisoformat(at).replace(tzinfo=UTC),
    )


def alloc(period: str, insurance: str, part: str, fen: int) -> refund.Allocation:
    return refund.Allocation(fee_period=period, insurance=insurance, part=part, amount_fen=fen)


def payment(payment_id: str, value_date: str, *allocations: refund.Allocation) -> refund.PaymentReceived:
    return refund.PaymentReceived(
        credit_code=CODE,
        payment_id=payment_id,
        bank_reference=f"BANK-{payment_id}",
        amount_fen=sum(a.amount_fen for a in allocations),
        value_date=value_date,
        remittance=refund.Remittance(fee_period="2020-05", text=f"{CODE} 2020-05"),
        allocations=allocations,
    )


def ledger_events() -> list[Envelope]:
    on_time = payment("p-on-time", "2020-05-25", alloc("2020-05", "pension", "employer", 100_000))
    late = payment(
        "p-late",
        "2020-05-30",
        alloc("2020-05", "pension", "employer", 200_000),
        alloc("2020-05", "pension", "individual", 400_000),
        alloc("", "", "unallocated", 101_000),
    )
    reversed_ = refund.PaymentReversed(
        credit_code=CODE,
        payment_id="p-on-time",
        bank_reference="BANK-p-on-time",
        reversal_reference="RVSL-1",
        amount_fen=100_000,
        reason="AC04 closed account",
        allocations=(alloc("2020-05", "pension", "employer", 100_000),),
    )
    excess = refund.CreditArisen(
        credit_code=CODE,
        credit_id="c-1",
        fee_period="",
        insurance="",
        part="unallocated",
        amount_fen=101_000,
        cause="payment_excess",
        settlement="offset",
        rule="税总函〔2020〕33号",
    )
    offset = refund.OffsetApplied(
        credit_code=CODE,
        credit_id="c-1",
        fee_period="2020-05",
        insurance="pension",
        part="employer",
        amount_fen=100_000,
        reason="offset",
    )
    june = payment("p-june", "2020-06-20", alloc("2020-06", "pension", "employer", 50_000))
    due = refund.DueRecorded(
        credit_code=CODE,
        fee_period="2020-05",
        cause="assessed",
        source_event_id="x",
        source_version=1,
        due_date="2020-05-25",
        lines=(refund.DueLine(insurance="pension", part="employer", amount_fen=400_000, due_after_fen=400_000),),
    )
    unknown = Envelope(  # a refund event type this reader has never heard of
        id=f"unknown-{CODE}",
        source="/relief/refund",
        type="relief.refund.LedgerArchived.v1",
        subject=CODE,
        time=datetime(2020, 6, 30, tzinfo=UTC),
        data={"credit_code": CODE},
    )
    return [
        ledger(due, "2020-05-20T01:00:00", 1),
        ledger(on_time, "2020-05-25T03:00:00", 2),
        ledger(late, "2020-05-30T03:00:00", 3),
        ledger(excess, "2020-05-30T03:00:00", 4),
        # 2020-05-31 17:30 UTC is already 2020-06-01 01:30 in China: the reversal counts from 06-01
        ledger(reversed_, "2020-05-31T17:30:00", 5),
        ledger(offset, "2020-06-10T01:00:00", 6),
        ledger(june, "2020-06-20T03:00:00", 7),
        unknown,
    ]


def declaration() -> Envelope:
    content = {
        "declaration_id": f"{CODE}-2020-05-1",
        "credit_code": CODE,
        "fee_period": "2020-05",
        "revision": 1,
        "region": "320600",
        "unit_type": "enterprise",
        "lines": [{"insurance": "pension", "base_fen": 5_000_000, "employer_rate": "0.16", "individual_rate": "0.08"}],
    }
    event = r.DeclarationSubmitted.model_validate({"declaration": content})
    return new_envelope(event, source="/t", subject=CODE, stream_id=f"declaration-{CODE}-2020-05", stream_version=1)


async def test_the_late_fee_counts_payments_reversals_and_offsets_from_the_ledger(
    svc: tuple[httpx.AsyncClient, Any, str], kafka_bootstrap: str
) -> None:
    client, app, token = svc
    headers = {"Authorization": f"Bearer {token}"}
    await produce(kafka_bootstrap, "declaration.events", [declaration()])
    await produce(kafka_bootstrap, "refund.events", ledger_events())

    async def fee() -> dict[str, Any] | None:
        # assessed as large (no size yet) under every shipped policy: 49号 halves May's employer part
        got = await client.get(f"/v1/payers/{CODE}/liabilities/2020-05/late-fee", params={"on": "2020-06-30"}, headers=headers)
        body = got.json()
        return body if got.status_code == 200 and len(body["payments"]) == 5 and body["owed_fen"] == 800_000 else None

    out = await eventually(fee, "the liability assessed and the ledger projected")
    assert (out["paid_source"], out["due_date"], out["owed_fen"]) == ("ledger", "2020-05-25", 800_000)
    assert [(p["kind"], p["on"], p["part"], p["amount_fen"], p["reference"]) for p in out["payments"]] == [
        ("payment", "2020-05-25", "employer", 100_000, "p-on-time"),
        ("payment", "2020-05-30", "employer", 200_000, "p-late"),
        ("payment", "2020-05-30", "individual", 400_000, "p-late"),
        ("reversal", "2020-06-01", "employer", -100_000, "p-on-time"),
        ("offset", "2020-06-10", "employer", 100_000, "c-1"),
    ]
    employer, individual = out["lines"]
    assert [(x["from"], x["to"], x["overdue_fen"]) for x in employer["overdue"]] == [
        ("2020-05-26", "2020-05-30", 300_000),
        ("2020-05-31", "2020-06-01", 100_000),
        ("2020-06-02", "2020-06-10", 200_000),
        ("2020-06-11", "2020-06-30", 100_000),
    ]
    # 0.05 % a day of 300,000 × 5 + 100,000 × 2 + 200,000 × 9 + 100,000 × 20 fen-days
    assert (employer["owed_fen"], employer["paid_fen"], employer["unpaid_fen"], employer["late_fee_fen"]) == (
        400_000,
        300_000,
        100_000,
        2_750,
    )
    assert (individual["paid_fen"], individual["unpaid_fen"], individual["days_late"], individual["late_fee_fen"]) == (
        400_000,
        0,
        5,
        1_000,
    )
    assert (out["paid_fen"], out["unpaid_fen"], out["late_fee_fen"]) == (700_000, 100_000, 3_750)

    # As it stood on 2020-06-01: the reversal of that day does not count yet, the offset not at all.
    got = await client.get(f"/v1/payers/{CODE}/liabilities/2020-05/late-fee", params={"on": "2020-06-01"}, headers=headers)
    early = got.json()
    assert [p["kind"] for p in early["payments"]] == ["payment", "payment", "payment", "reversal"]
    assert early["lines"][0]["late_fee_fen"] == 750 + 100  # 300,000 × 5 days + 100,000 × 2 days

    # Only the accounts paid are in the projection (not the unallocated money); the rest is ignored, not dead-lettered.
    async with app.state.sessions() as session:
        rows = (await session.execute(sa.select(paid.c.fee_period, paid.c.kind).where(paid.c.credit_code == CODE))).all()
    assert sorted(rows) == sorted(
        [("2020-05", "payment")] * 3 + [("2020-05", "reversal"), ("2020-05", "offset"), ("2020-06", "payment")]
    )
    dead = await read_topic(kafka_bootstrap, "refund.events.dlq", expect_distinct=10**9, timeout_s=1)
    assert not [d for d in dead if d.key == CODE.encode() and dict(d.headers).get("dlq_group") == b"projection.paid"]
