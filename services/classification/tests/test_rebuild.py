"""`classification rebuild` reproduces the same fingerprints: the service runs live on PostgreSQL
with a Kafka broker of the test's own, imports a province file, takes a dispute to the province's
correction and reads payer registrations; then every projection is dropped and replayed."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from classification.adapters.tables import abuse_flags, kernel
from classification.service import SPEC
from classification.settings import Settings
from declaration.domain.events import Enrollment, PayerProfile, PayerRegistered
from eventkit.cli import build_app
from eventkit.crypto import Keyring, Sealed
from eventkit.events import new_envelope
from eventkit.migrations import upgrade
from eventkit.projection import fingerprint
from eventkit.rebuild import rebuild
from eventkit.testing.proofs import caught_up, end_offsets, produce
from eventkit.testing.waiting import eventually_async as wait
from eventkit.web.tokens import generate_keypair, issue_token
from refdata.codes import make_credit_code

pytestmark = [pytest.mark.slow, pytest.mark.replay_from_beginning]


async def test_rebuild_reproduces_the_fingerprints(
    new_pg_database: Callable[[str], str], private_kafka: str, tmp_path: Path
) -> None:
    db = new_pg_database("cl_rebuild")
    await asyncio.to_thread(upgrade, db, SPEC.migrations_dir)
    private, public = generate_keypair()
    keyring = Keyring.generate()
    keyring.write(tmp_path / "data.key")
    settings = Settings(
        database_url=db,
        kafka_bootstrap_servers=private_kafka,
        auth_jwt_public_key=public,
        data_key_file=str(tmp_path / "data.key"),
    )
    app = build_app(SPEC, settings)
    runtime = app.state.runtime
    codes = [make_credit_code(f"91510400MA62RB{n:03d}") for n in range(8)]

    def registered(n: int, since: str) -> object:
        profile = PayerProfile(
            credit_code=codes[n],
            name=f"单位{n}",
            unit_type="enterprise",
            region="510400",
            industry_section="C",
            work_injury_class=2,
            enrollments=(Enrollment(insurance="pension", since=since),),
            bank_account=Sealed.seal(f"62220202000012340{n % 3}", keyring, "declaration/payer.bank_account"),
        )
        return new_envelope(
            PayerRegistered(profile=profile), source="/t", subject=codes[n], stream_id=f"payer-{codes[n]}", stream_version=1
        )

    async with app.router.lifespan_context(app):
        await produce(
            private_kafka, "declaration.events", [registered(n, "2015-01-01" if n < 3 else "2020-06-01") for n in range(8)]
        )
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://classification")

        def auth(*roles: str, payer: str | None = None) -> dict[str, str]:
            return {"Authorization": "Bearer " + issue_token(private, "t", list(roles), payer=payer)}

        rows = [
            f"{c},单位,C31,{'large' if n % 2 else 'small'},2019,v1,{50 if n == 0 else ''},{'60000' if n == 0 else ''},"
            for n, c in enumerate(codes)
        ]
        data = (
            "credit_code,name,industry,size,statistical_year,source_version,headcount,revenue,assets\n" + "\n".join(rows)
        ).encode()
        r = await client.post("/v1/size-imports", content=data, headers={**auth("province_officer"), "Content-Type": "text/csv"})
        assert r.status_code == 201, r.text
        body = {
            "credit_code": codes[1],
            "statistical_year": 2019,
            "claimed_size": "small",
            "evidence": {"industry": "C31", "headcount": 100, "revenue": "5000"},
            "reason": "小型",
            "documents": [
                {"name": "a.pdf", "media_type": "application/pdf", "content_base64": base64.b64encode(b"%PDF").decode()}
            ],
        }
        d = (await client.post("/v1/disputes", json=body, headers=auth("payer", payer=codes[1]))).json()
        url = f"/v1/disputes/{d['dispute_id']}"
        await client.post(f"{url}/intake", json={"note": "受理"}, headers=auth("insurance_centre"))
        for role in ("stats_reviewer", "hr_reviewer", "econ_reviewer"):
            await client.post(f"{url}/opinions", json={"finds_size": "small", "opinion": "小型"}, headers=auth(role))
        await client.post(f"{url}/decision", json={"outcome": "upheld", "reasons": "一致"}, headers=auth("stats_reviewer"))
        await client.post(f"{url}/province-report", json={"reference": "r"}, headers=auth("hr_reviewer"))
        assert (
            await client.post(f"{url}/correction", json={"reference": "c"}, headers=auth("province_officer"))
        ).status_code == 200
        await client.aclose()

        async def settled() -> bool:
            async with runtime.sessions() as s:
                if await s.scalar(sa.select(sa.func.count()).select_from(kernel.outbox)):
                    return False
            for projection in SPEC.definition.projections:
                for topic in projection.topics:
                    if not await caught_up(runtime.sessions, projection.group, await end_offsets(private_kafka, topic)):
                        return False
            return True

        await wait(settled, "every event published and projected", timeout_s=300)
    live = {p.name: await fingerprint(runtime.sessions, p.tables) for p in SPEC.definition.projections}
    async with runtime.sessions() as s:
        assert await s.scalar(sa.select(sa.func.count()).select_from(abuse_flags)) > 0
        assert await s.scalar(sa.select(sa.func.count()).select_from(sa.table("pj_disputes"))) == 1
    rebuilt = await rebuild(runtime, list(SPEC.definition.projections), show_progress=False)
    assert {res.projection: res.fingerprint for res in rebuilt} == live
    assert all(res.events > 0 for res in rebuilt)
    await runtime.engine.dispose()
