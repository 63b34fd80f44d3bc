"""缓缴 through the REST API of the running relief-calc service (lifespan started: relay and
consumers running) on a fresh PostgreSQL database, with the real Kafka broker and real tokens."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
import sqlalchemy as sa

from eventkit.cli import build_app
from eventkit.contracts import validate_envelope
from eventkit.envelope import Envelope
from eventkit.migrations import upgrade
from eventkit.rebuild import rebuild
from eventkit.runtime import ServiceRuntime
from eventkit.testing.offsets import start_groups_at_end
from eventkit.testing.proofs import read_topic
from eventkit.web.tokens import generate_keypair, issue_token
from refdata.codes import make_credit_code
from relief_calc.adapters.deferrals import approved_deferrals, deferrals, projection
from relief_calc.adapters.tables import kernel
from relief_calc.service import SPEC

TOPIC = "relief.events"
CONTRACTS = Path(__file__).resolve().parents[3] / "contracts"
_RUN = secrets.randbelow(10**4)


def code(n: int, region: str = "510400") -> str:
    """A valid credit code unique to this run (the shared broker keeps earlier runs' events)."""
    return make_credit_code(f"91{region}MA{_RUN:04d}{n:03d}")


@dataclass
class Svc:
    client: httpx.AsyncClient
    app: Any
    key: str
    db: str

    def as_(self, *roles: str, sub: str = "tester", payer: str | None = None, region: str | None = None) -> dict[str, str]:
        return {"Authorization": "Bearer " + issue_token(self.key, sub, list(roles), payer=payer, region=region)}

    def payer(self, credit_code: str) -> dict[str, str]:
        return self.as_("payer", sub=f"payer-{credit_code}", payer=credit_code)

    async def post(self, path: str, body: dict[str, Any], headers: dict[str, str], key: str | None = None) -> httpx.Response:
        extra = {"Idempotency-Key": key} if key else {}
        return await self.client.post(path, json=body, headers={**headers, **extra})


@pytest_asyncio.fixture
async def svc(new_pg_database: Callable[[str], str], kafka_bootstrap: str) -> AsyncIterator[Svc]:
    db = new_pg_database("reliefcalc")
    await asyncio.to_thread(upgrade, db, SPEC.migrations_dir)
    # The shared broker keeps earlier tests' events: every consumer group starts at the topics' end.
    groups = SPEC.definition.subscriptions()
    await start_groups_at_end(db, kafka_bootstrap, kernel, groups, SPEC.definition.topic_specs(12, 1))
    private, public = generate_keypair()
    settings = SPEC.settings_cls(database_url=db, kafka_bootstrap_servers=kafka_bootstrap, auth_jwt_public_key=public)
    app = build_app(SPEC, settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relief-calc") as client:
            yield Svc(client, app, private, db)


def application(credit_code: str, **over: Any) -> dict[str, Any]:
    body = {
        "credit_code": credit_code,
        "region": "510400",
        "review_level": "county",
        "first_period": "2020-03",
        "last_period": "2020-08",
        "insurances": ["pension", "unemployment", "work_injury"],
        "reason": "受疫情影响停产半停产，资金周转困难",
        "hardship": ["停产或半停产", "已拖欠工资"],
        "evidence": [{"kind": "financial_statement", "title": "2020年一季度财务报表", "reference": "archive-1"}],
    }
    body.update(over)
    return body


async def apply(svc: Svc, credit_code: str, **over: Any) -> dict[str, Any]:
    r = await svc.post("/v1/deferrals", application(credit_code, **over), svc.payer(credit_code))
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"/v1/deferrals/{r.json()['application_id']}"
    return r.json()  # type: ignore[no-any-return]


async def opinion(svc: Svc, app_id: str, role: str, stance: str = "support", **headers: Any) -> httpx.Response:
    body = {"stance": stance, "opinion": f"{role}：经核实企业确有困难，同意缓缴"}
    return await svc.post(f"/v1/deferrals/{app_id}/opinions", body, svc.as_(role, sub=f"{role}-1", **headers))


async def decide(svc: Svc, app_id: str, decision: str = "approve", role: str = "hr_officer", **extra: Any) -> httpx.Response:
    body = {"decision": decision, "opinion": "经审核，符合缓缴条件", **extra}
    return await svc.post(f"/v1/deferrals/{app_id}/decision", body, svc.as_(role, sub="hr-1"))


async def eventually(check: Callable[[], Awaitable[Any]], timeout_s: float = 30) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (value := await check()):
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)
    return value


async def records_of(bootstrap: str, credit_code: str, count: int) -> list[Any]:
    for _ in range(100):
        records = await read_topic(bootstrap, TOPIC, expect_distinct=10**9, timeout_s=0.5)
        mine = sorted((r for r in records if r.key == credit_code.encode()), key=lambda r: r.offset)
        if len(mine) >= count:
            return mine
    raise AssertionError(f"{count} records of {credit_code} did not reach {TOPIC}")


async def test_county_flow_to_approval_moves_the_due_date_and_lands_on_kafka(svc: Svc, kafka_bootstrap: str) -> None:
    c = code(1)
    a = await apply(svc, c)
    app_id = a["application_id"]
    assert (a["status"], a["step"], a["months"]) == ("under_review", "opinions", 6)
    assert [w["role"] for w in a["awaiting"]] == ["finance_officer", "tax_officer", "econ_officer"]
    assert a["policies"] == ["deferral-2020-11", "deferral-2020-49"]
    early = await decide(svc, app_id)
    assert early.status_code == 409 and early.headers["content-type"] == "application/problem+json"
    assert "finance" in early.json()["detail"] and early.json()["errors"][0]["reason_zh"]
    for role in ("finance_officer", "tax_officer", "econ_officer"):
        r = await opinion(svc, app_id, role)
        assert r.status_code == 200, r.text
    assert r.json()["step"] == "decision" and r.json()["awaiting"] == [
        {"department": "county_hr", "role": "hr_officer", "act": "decision"}
    ]
    assert (await decide(svc, app_id, role="finance_officer")).status_code == 403  # not the deciding department
    r = await decide(svc, app_id)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["status"] == "approved" and d["decision"]["due_date"] == "2020-09-25"  # 四川: due on the 25th
    assert [o["department"] for o in d["opinions"]] == ["finance", "tax", "econ"]

    listed = await eventually(lambda: _listed(svc, "/v1/deferrals?status=approved&region=510400", svc.as_("auditor"), app_id))
    assert listed["due_date"] == "2020-09-25" and listed["awaiting"] == []
    async with svc.app.state.sessions() as session:
        (approved,) = await approved_deferrals(session, c)
    assert (approved.first_period, approved.last_period, approved.insurances) == ("2020-03", "2020-08", tuple(a["insurances"]))
    assert approved.due_date.isoformat() == "2020-09-25" and approved.approved_at.tzinfo is not None

    mine = await records_of(kafka_bootstrap, c, 5)
    types = [dict(x.headers)["ce_type"].decode() for x in mine]
    assert types == [
        "relief.relief.DeferralApplied.v1",
        *["relief.relief.DeferralOpinionRecorded.v1"] * 3,
        "relief.relief.DeferralApproved.v1",
    ]
    for record in mine:
        env = Envelope.from_kafka(record.headers, record.value)
        assert env.subject == c and env.streamid == f"deferral-{app_id}"
        validate_envelope(env, CONTRACTS)


async def _listed(svc: Svc, path: str, headers: dict[str, str], app_id: str) -> Any:
    r = await svc.client.get(path, headers=headers)
    assert r.status_code == 200, r.text
    return next((i for i in r.json()["items"] if i["application_id"] == app_id), None)


async def test_city_flow_first_review_joint_review_and_rejection(svc: Svc) -> None:
    c = code(2)
    app_id = (await apply(svc, c, review_level="city"))["application_id"]
    assert (await opinion(svc, app_id, "finance_officer")).status_code == 409  # the first review comes first
    review = {"outcome": "passed", "opinion": "材料齐全，初审通过"}
    assert (await svc.post(f"/v1/deferrals/{app_id}/first-review", review, svc.as_("tax_officer"))).status_code == 403
    r = await svc.post(f"/v1/deferrals/{app_id}/first-review", review, svc.as_("hr_officer", sub="si-centre-1"))
    assert r.status_code == 200 and r.json()["step"] == "joint_review"
    assert r.json()["first_reviews"][0]["department"] == "city_social_insurance_centre"
    assert (await decide(svc, app_id)).status_code == 409
    for role in ("econ_officer", "tax_officer"):
        assert (await opinion(svc, app_id, role, "oppose")).status_code == 200
    assert (await decide(svc, app_id)).status_code == 409  # finance's opinion is still missing
    assert (await opinion(svc, app_id, "finance_officer")).status_code == 200
    r = await decide(svc, app_id, "reject")
    assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["decision"]["department"] == "hr"
    assert (await svc.post(f"/v1/deferrals/{app_id}:withdraw", {"reason": "x"}, svc.payer(c))).status_code == 409


async def test_a_failed_first_review_rejects(svc: Svc) -> None:
    c = code(3)
    app_id = (await apply(svc, c, review_level="city"))["application_id"]
    r = await svc.post(
        f"/v1/deferrals/{app_id}/first-review", {"outcome": "failed", "opinion": "缺少工资发放记录"}, svc.as_("hr_officer")
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["decision"]["outcome"] == "rejected"


async def test_roles_and_a_payer_sees_only_its_own(svc: Svc) -> None:
    mine, theirs = code(4), code(5)
    app_id = (await apply(svc, mine))["application_id"]
    other_id = (await apply(svc, theirs))["application_id"]
    me = svc.payer(mine)
    assert (await svc.client.get(f"/v1/deferrals/{app_id}", headers=me)).status_code == 200
    assert (await svc.client.get(f"/v1/deferrals/{other_id}", headers=me)).status_code == 403
    assert (await svc.client.get(f"/v1/deferrals?credit_code={theirs}", headers=me)).status_code == 403
    own = await eventually(lambda: _listed(svc, "/v1/deferrals", me, app_id))
    assert own["credit_code"] == mine
    page = (await svc.client.get("/v1/deferrals?page_size=200", headers=me)).json()
    assert {i["credit_code"] for i in page["items"]} == {mine}
    assert (await svc.post("/v1/deferrals", application(theirs), me)).status_code == 403  # not for another payer
    assert (await svc.post(f"/v1/deferrals/{other_id}:withdraw", {"reason": "x"}, me)).status_code == 403
    assert (await opinion(svc, app_id, "payer", payer=mine)).status_code == 403
    assert (await opinion(svc, app_id, "auditor")).status_code == 403
    assert (await svc.client.get(f"/v1/deferrals/{app_id}", headers=svc.as_("auditor"))).status_code == 200
    assert (await svc.post("/v1/deferrals", application(mine), svc.as_("tax_officer"))).status_code == 403
    elsewhere = svc.as_("tax_officer", region="320600")
    assert (await svc.client.get(f"/v1/deferrals/{app_id}", headers=elsewhere)).status_code == 403
    assert (await opinion(svc, app_id, "tax_officer", region="320600")).status_code == 403
    assert (await svc.client.get("/v1/deferrals?region=510400", headers=elsewhere)).status_code == 403
    assert (await opinion(svc, app_id, "tax_officer", region="510400")).status_code == 200
    assert (await svc.client.get(f"/v1/deferrals/{app_id}")).status_code == 401
    r = await svc.post(f"/v1/deferrals/{app_id}:withdraw", {"reason": "资金已到位"}, me)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"


async def test_idempotent_duplicates_and_overlaps(svc: Svc) -> None:
    c = code(6)
    body = application(c)
    first = await svc.post("/v1/deferrals", body, svc.payer(c), key="apply-1")
    again = await svc.post("/v1/deferrals", body, svc.payer(c), key="apply-1")
    assert first.status_code == again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["application_id"] == first.json()["application_id"]
    reused = await svc.post("/v1/deferrals", {**body, "reason": "另一个原因"}, svc.payer(c), key="apply-1")
    assert reused.status_code == 422 and reused.json()["errors"][0]["field"] == "header.Idempotency-Key"
    async with svc.app.state.sessions() as session:
        t = kernel.events
        applied = await session.scalar(
            sa.select(sa.func.count()).where(t.c.subject == c, t.c.event_type == "relief.DeferralApplied")
        )
    assert applied == 1
    overlap = await svc.post("/v1/deferrals", application(c, first_period="2020-08", last_period="2020-09"), svc.payer(c))
    assert overlap.status_code == 409 and overlap.json()["type"].endswith("deferral-overlap")
    assert (await apply(svc, c, first_period="2020-09", last_period="2020-10"))["status"] == "under_review"

    app_id = first.json()["application_id"]
    path, officer = f"/v1/deferrals/{app_id}/opinions", svc.as_("tax_officer", sub="tax-7")
    one = await svc.post(path, {"stance": "support", "opinion": "同意"}, officer, key="op-1")
    two = await svc.post(path, {"stance": "support", "opinion": "同意"}, officer, key="op-1")
    assert one.status_code == two.status_code == 200 and two.headers["idempotent-replayed"] == "true"
    assert len(two.json()["opinions"]) == 1
    dup = await svc.post(path, {"stance": "support", "opinion": "同意"}, officer)
    assert dup.status_code == 409 and dup.json()["errors"][0]["code"] == "deferral.opinion_exists"


async def test_invalid_requests_name_the_field_in_chinese_and_english(svc: Svc) -> None:
    c = code(7)
    payer = svc.payer(c)
    cases = [
        ({"last_period": "2020-09"}, "body.last_period", "deferral.too_long"),  # 7 months
        ({"first_period": "2020-08", "last_period": "2021-01"}, "body.last_period", "deferral.too_late"),
        ({"insurances": ["pension", "medical"]}, "body.insurances.1", "deferral.insurance"),
        ({"hardship": ["经营不善"]}, "body.hardship.0", "deferral.hardship"),
        ({"region": "999900"}, "body.region", "deferral.region"),
    ]
    for over, field, error_code in cases:
        r = await svc.post("/v1/deferrals", application(c, **over), payer)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
        (error,) = r.json()["errors"]
        assert (error["field"], error["code"]) == (field, error_code) and error["reason"] and error["reason_zh"]
    for over, field in [({"first_period": "2020-3"}, "first_period"), ({"evidence": []}, "evidence")]:
        r = await svc.post("/v1/deferrals", application(c, **over), payer)
        assert r.status_code == 422 and any(field in e["field"] for e in r.json()["errors"]), r.text
    app_id = (await apply(svc, c))["application_id"]
    r = await svc.post(f"/v1/deferrals/{app_id}/opinions", {"stance": "maybe", "opinion": "?"}, svc.as_("tax_officer"))
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} >= {"body.stance", "body.opinion"}
    assert (await svc.client.get("/v1/deferrals/00000000-0000-4000-8000-000000000000", headers=payer)).status_code == 404
    terms = await svc.client.get("/v1/deferral-terms?region=510400&fee_period=2020-05", headers=svc.as_("policy_admin"))
    assert terms.status_code == 200 and terms.json()["latest_period"] == "2020-12" and terms.json()["max_months"] == 6


async def _rows(sessions: Any, credit_code: str) -> list[dict[str, Any]]:
    async with sessions() as session:
        result = await session.execute(
            sa.select(deferrals).where(deferrals.c.credit_code == credit_code).order_by(deferrals.c.application_id)
        )
        return [dict(r._mapping) for r in result]


async def test_the_read_model_rebuilt_from_the_log_has_the_same_rows(
    svc: Svc, kafka_bootstrap: str, new_pg_database: Callable[[str], str]
) -> None:
    c = code(8)
    approved = (await apply(svc, c))["application_id"]
    for role in ("finance_officer", "tax_officer", "econ_officer"):
        assert (await opinion(svc, approved, role)).status_code == 200
    assert (await decide(svc, approved)).status_code == 200
    failed = (await apply(svc, c, review_level="city", first_period="2020-09", last_period="2020-10"))["application_id"]
    r = await svc.post(
        f"/v1/deferrals/{failed}/first-review", {"outcome": "failed", "opinion": "材料不全"}, svc.as_("hr_officer")
    )
    assert r.status_code == 200
    await records_of(kafka_bootstrap, c, 8)

    async def settled() -> list[dict[str, Any]] | None:
        rows = await _rows(svc.app.state.sessions, c)
        return rows if sorted(row["version"] for row in rows) == [3, 5] else None  # both streams fully projected

    live = await eventually(settled)
    fresh = new_pg_database("reliefcalc_rebuild")
    await asyncio.to_thread(upgrade, fresh, SPEC.migrations_dir)
    runtime = ServiceRuntime(SPEC.definition, database_url=fresh, bootstrap=kafka_bootstrap, run_relay=False, run_consumers=False)
    try:
        await rebuild(runtime, [projection()], show_progress=False)
        assert await _rows(runtime.sessions, c) == live
    finally:
        await runtime.engine.dispose()
