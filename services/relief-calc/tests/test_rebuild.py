"""`relief-calc rebuild` reproduces the same fingerprints: the service runs live on PostgreSQL with
a Kafka broker of the test's own, reading every topic from the beginning, assesses, takes a late
policy; then its projections are dropped and replayed from the log."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy as sa

from eventkit.cli import build_app
from eventkit.envelope import Envelope
from eventkit.events import new_envelope
from eventkit.migrations import upgrade
from eventkit.projection import fingerprint
from eventkit.rebuild import rebuild
from eventkit.testing.proofs import caught_up, end_offsets, produce
from eventkit.testing.waiting import eventually_async as wait
from eventkit.web.tokens import generate_keypair, issue_token
from refdata.codes import make_credit_code
from relief_calc.adapters import readers as r
from relief_calc.adapters.tables import kernel, pending
from relief_calc.service import SPEC

pytestmark = [pytest.mark.slow, pytest.mark.replay_from_beginning]
TOPICS = ("declaration.events", "classification.events", "policy.events", "relief.events", "refund.events")


def paid_for(code: str, n: int) -> list[Envelope]:
    """What the refund service's ledger publishes for a payer: a payment, its reversal for some,
    an offset, and an event relief-calc does not read (the envelope and data as the producer
    writes them; relief-calc's readers take only what they need)."""
    account = {"fee_period": "2020-04", "insurance": "pension", "part": "employer"}
    events = [
        ("refund.DueRecorded", {"credit_code": code, "fee_period": "2020-04", "lines": []}),
        (
            "refund.PaymentReceived",
            {
                "credit_code": code,
                "payment_id": f"p-{n}",
                "bank_reference": f"B-{n}",
                "amount_fen": 100_000 + n,
                "value_date": f"2020-05-{20 + n:02d}",
                "remittance": {"text": ""},
                "allocations": [account | {"amount_fen": 100_000 + n}],
            },
        ),
        (
            "refund.OffsetApplied",
            {"credit_code": code, "credit_id": f"c-{n}", "amount_fen": 500, "reason": "offset"} | account,
        ),
    ]
    if n % 2:
        events.append(
            (
                "refund.PaymentReversed",
                {"credit_code": code, "payment_id": f"p-{n}", "allocations": [account | {"amount_fen": 100_000 + n}]},
            )
        )
    return [
        Envelope(
            id=str(uuid.uuid4()),
            source="/relief/refund",
            type=f"relief.{name}.v1",
            subject=code,
            time=datetime(2020, 6, 1, 16, n, tzinfo=UTC),
            data=data,
            streamid=f"ledger-{code}",
            streamversion=v,
        )
        for v, (name, data) in enumerate(events, start=1)
    ]


async def test_rebuild_reproduces_the_fingerprints(new_pg_database: Callable[[str], str], private_kafka: str) -> None:
    kafka_bootstrap = private_kafka
    db = new_pg_database("rc_rebuild")
    await asyncio.to_thread(upgrade, db, SPEC.migrations_dir)
    private, public = generate_keypair()
    settings = SPEC.settings_cls(
        database_url=db, kafka_bootstrap_servers=kafka_bootstrap, auth_jwt_public_key=public, assessor_batch=500
    )
    app = build_app(SPEC, settings)
    runtime = app.state.runtime
    run = int(time.time()) % 10**4
    codes = [make_credit_code(f"91320500MA{run:04d}R{n:02d}") for n in range(6)]
    envelopes = []
    for n, code in enumerate(codes):
        for period in ("2020-04", "2020-05", "2020-07"):
            content = {
                "declaration_id": f"{code}-{period}-1",
                "credit_code": code,
                "fee_period": period,
                "revision": 1,
                "region": "320500",
                "unit_type": "enterprise",
                "lines": [
                    {"insurance": "pension", "base_fen": 4_000_000 + n, "employer_rate": "0.16", "individual_rate": "0.08"}
                ],
            }
            envelopes.append(
                new_envelope(
                    r.DeclarationSubmitted.model_validate({"declaration": content}),
                    source="/t",
                    subject=code,
                    stream_id=f"declaration-{code}-{period}",
                    stream_version=1,
                )
            )
    sized = [
        new_envelope(
            r.EnterpriseSizeAssigned.model_validate(
                {"credit_code": c, "size": "small" if n % 2 else "large", "periods": {"first": "2020-01", "last": "2020-12"}}
            ),
            source="/t",
            subject=c,
            stream_id=f"size-{c}",
            stream_version=1,
        )
        for n, c in enumerate(codes)
    ]
    async with app.router.lifespan_context(app):
        await produce(kafka_bootstrap, "declaration.events", envelopes)
        await produce(kafka_bootstrap, "classification.events", sized)
        await produce(kafka_bootstrap, "refund.events", [e for n, c in enumerate(codes) for e in paid_for(c, n)])
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relief-calc")
        admin = {"Authorization": "Bearer " + issue_token(private, "pa", ["policy_admin"])}
        draft = {  # 苏州 narrows large-enterprise halving to 2020-02 … 03 (an override, not a copy)
            "id": f"suzhou-test-{run}",
            "document_number": f"苏测〔2020〕{run}号",
            "title": "test override",
            "issuer": "test",
            "published": "2020-07-01",
            "kind": "relief",
            "periods": {"from": "2020-02", "to": "2020-06"},
            "scope": {"regions": ["320500"]},
            "overrides": "mohrss-2020-11",
            "amend": {"others-halved": {"clause": "test", "periods": {"from": "2020-02", "to": "2020-03"}}},
        }
        assert (await client.post("/v1/policies", json=draft, headers=admin)).status_code == 201

        async def settled() -> bool:
            async with runtime.sessions() as s:
                if await s.scalar(sa.select(sa.func.count()).select_from(pending)):
                    return False
                if await s.scalar(sa.select(sa.func.count()).select_from(kernel.outbox)):
                    return False
                mine = await s.scalar(
                    sa.select(sa.func.count()).select_from(kernel.events).where(kernel.events.c.subject.in_(codes))
                )
            if (mine or 0) < len(envelopes):
                return False
            for projection in SPEC.definition.projections:
                for topic in projection.topics:
                    if not await caught_up(runtime.sessions, projection.group, await end_offsets(kafka_bootstrap, topic)):
                        return False
            return True

        await wait(settled, "every input consumed, assessed, published and projected", timeout_s=900)
        await client.aclose()
    live = {p.name: await fingerprint(runtime.sessions, p.tables) for p in SPEC.definition.projections}
    rebuilt = await rebuild(runtime, list(SPEC.definition.projections), show_progress=False)
    assert {res.projection: res.fingerprint for res in rebuilt} == live
    async with runtime.sessions() as s:
        assert await s.scalar(sa.select(sa.func.count()).select_from(sa.table("pj_liabilities"))) >= len(envelopes)
        assert await s.scalar(sa.select(sa.func.count()).select_from(sa.table("rc_paid"))) == 6 * 2 + 3
    await runtime.engine.dispose()
