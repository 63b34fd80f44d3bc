"""A construction project's liability over REST: relief-calc runs (relay, consumers, both
assessors) on a fresh database; the contractor's project reaches it on declaration.events and a
payment of its premium on refund.events, published the way the kernel publishes them (with the
producers' own event classes; relief-calc reads them through its tolerant readers)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
import sqlalchemy as sa

from declaration.domain.events import ProjectContent, ProjectDeclared
from eventkit.cli import build_app
from eventkit.events import new_envelope
from eventkit.migrations import upgrade
from eventkit.testing.offsets import start_groups_at_end
from eventkit.testing.proofs import produce
from eventkit.testing.waiting import eventually_async as eventually
from eventkit.web.tokens import generate_keypair, issue_token
from refdata.codes import make_credit_code
from refund.domain import events as refund
from relief_calc.adapters.paid import paid
from relief_calc.adapters.tables import kernel
from relief_calc.service import SPEC

CODE = make_credit_code(f"91320600MA{secrets.randbelow(10**4):04d}PJ1")
OTHER = make_credit_code(f"91320600MA{secrets.randbelow(10**4):04d}PJ2")


@pytest_asyncio.fixture
async def svc(kafka_bootstrap: str, new_pg_database: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Any, Any]]:
    url = new_pg_database("rcproj")
    await asyncio.to_thread(upgrade, url, SPEC.migrations_dir)
    await start_groups_at_end(url, kafka_bootstrap, kernel, SPEC.definition.subscriptions(), SPEC.definition.topic_specs(12, 1))
    private, public = generate_keypair()
    settings = SPEC.settings_cls(database_url=url, kafka_bootstrap_servers=kafka_bootstrap, auth_jwt_public_key=public)
    app = build_app(SPEC, settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relief-calc") as client:
            yield (
                client,
                app,
                lambda *roles, **claims: {"Authorization": "Bearer " + issue_token(private, "t", list(roles), **claims)},
            )


async def test_a_declared_project_is_assessed_and_read_by_its_contractor_only(
    svc: tuple[httpx.AsyncClient, Any, Any], kafka_bootstrap: str
) -> None:
    client, app, token = svc
    project = ProjectContent(
        project_id=f"{CODE}-NT-1", project_code="NT-1", credit_code=CODE, name="南通某某工程", region="320600",
        unit_type="enterprise", started="2020-03-01", planned_months=12, contract_price_fen=800_000_000,
        rate_per_mille="1.5", premium_fen=1_200_000, revision=1,
    )  # fmt: skip
    declared = new_envelope(
        ProjectDeclared(project=project), source="/relief/declaration", subject=CODE, stream_id=f"project-{CODE}-NT-1",
        stream_version=1,
    )  # fmt: skip
    allocation = refund.Allocation(
        fee_period="2020-03", insurance="work_injury", part="employer", amount_fen=1_200_000, project="NT-1"
    )
    payment = refund.PaymentReceived(
        credit_code=CODE, payment_id="P-1", bank_reference="B-1", amount_fen=1_200_000, value_date="2020-03-20",
        remittance=refund.Remittance(project="NT-1", text=f"/USCC/{CODE}/PRJ/NT-1"), allocations=(allocation,),
    )  # fmt: skip
    paid_env = new_envelope(payment, source="/relief/refund", subject=CODE, stream_id=f"ledger-{CODE}", stream_version=2)
    await produce(kafka_bootstrap, "declaration.events", [declared])
    await produce(kafka_bootstrap, "refund.events", [paid_env])
    me = token("payer", payer=CODE)
    url = f"/v1/payers/{CODE}/projects/NT-1/liability"

    async def assessed() -> dict[str, Any] | None:
        r = await client.get(url, headers=me)
        return r.json() if r.status_code == 200 else None

    out = await eventually(assessed, "the project assessed")
    li = out["liability"]
    # size unknown: as large, provisional; 49号 halves large enterprises' work injury 2020-02…06, so
    # 03…06 (4 of 12 months) are halved: 1,200,000 × 4 / 24 = 200,000 fen.
    assert (out["status"], li["relief"], li["months_halved"], li["relief_fen"], li["payable_fen"]) == (
        "provisional", "halved", 4, 200_000, 1_000_000,
    )  # fmt: skip
    assert li["inputs"]["project_revision"] == 1 and li["fee_period"] == "2020-03"
    assert [h["event"] for h in out["history"]] == ["ProjectLiabilityAssessed"]

    assert (await client.get(url, headers=token("payer", payer=OTHER))).status_code == 403
    assert (await client.get(url, headers=token("auditor"))).status_code == 200
    missing = await client.get(f"/v1/payers/{CODE}/projects/NT-404/liability", headers=me)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")

    async def projected() -> bool:  # the payment reached the paid projection, which left it out
        t = kernel.processed_events
        async with app.state.sessions() as session:
            seen = await session.scalar(
                sa.select(sa.func.count()).select_from(t).where(t.c.event_id == paid_env.id, t.c.consumer_group.like("%paid%"))
            )
            rows = await session.scalar(sa.select(sa.func.count()).select_from(paid).where(paid.c.credit_code == CODE))
        return bool(seen) and rows == 0

    assert await eventually(projected, "the project's payment not counted as a monthly payment")
