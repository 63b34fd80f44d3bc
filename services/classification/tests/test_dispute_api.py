"""企业划型异议 over HTTP on PostgreSQL and Kafka: from the payer's objection through the three
agencies' opinions, the decision and HR's report to the province's retroactive correction."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from classification.adapters.tables import kernel

CSV = {"Content-Type": "text/csv"}
HEADER = "credit_code,name,industry,size,statistical_year,source_version"
PDF = b"%PDF-1.4 annual statistical report 2019"


async def imported(svc: Any, *rows: str) -> None:
    data = ("\n".join([HEADER, *rows]) + "\n").encode()
    r = await svc.client.post("/v1/size-imports", content=data, headers={**svc.token("province_officer"), **CSV})
    assert r.status_code == 201, r.text


async def in_force(svc: Any, code: str, period: str, expect: str) -> Any:
    async def found() -> Any:
        r = await svc.client.get(f"/v1/payers/{code}/size", params={"period": period}, headers=svc.token("auditor"))
        return r.json() if r.status_code == 200 and r.json()["size"] == expect else None

    return await svc.wait_for(found)


def filing(code: str, **over: Any) -> dict[str, Any]:
    body = {
        "credit_code": code,
        "statistical_year": 2019,
        "claimed_size": "small",
        "evidence": {"industry": "C31", "headcount": 250, "revenue": "15000", "assets": "9000.5"},
        "reason": "2019年从业人员250人，应为小型企业",
        "documents": [
            {"name": "2019年报.pdf", "media_type": "application/pdf", "content_base64": base64.b64encode(PDF).decode()}
        ],
    }
    return {**body, **over}


async def post(svc: Any, path: str, body: dict[str, Any], *roles: str, sub: str = "officer", **kw: Any) -> Any:
    return await svc.client.post(path, json=body, headers=svc.token(*roles, sub=sub, **kw))


async def test_upheld_dispute_corrects_the_size_for_every_affected_period(service: Any, code: Any) -> None:
    payer = code(51)
    await imported(service, f"{payer},攀枝花某钢铁有限公司,C31,large,2019,川统2020-01")
    await in_force(service, payer, "2020-02", "large")

    r = await post(service, "/v1/disputes", filing(payer), "payer", sub="payer-user", payer=payer)
    assert r.status_code == 201, r.text
    d = r.json()
    url = f"/v1/disputes/{d['dispute_id']}"
    assert d["status"] == "filed" and d["current_size"] == "large" and d["standard_size"] == "small"
    assert d["periods"] == {"first": "2020-01", "last": "2020-12"} and d["waiting_for"].startswith("intake")
    sha = hashlib.sha256(PDF).hexdigest()
    assert d["documents"] == [{"name": "2019年报.pdf", "media_type": "application/pdf", "sha256": sha, "size_bytes": len(PDF)}]
    doc = await service.client.get(f"{url}/documents/{sha}", headers=service.token("stats_reviewer"))
    assert doc.content == PDF

    other = code(52)
    assert (await service.client.get(url, headers=service.token("payer", payer=other))).status_code == 403
    assert (await post(service, "/v1/disputes", filing(payer), "payer", payer=other)).status_code == 403
    early = await post(service, f"{url}/opinions", {"finds_size": "small", "opinion": "x"}, "stats_reviewer")
    assert early.status_code == 409 and early.json()["errors"][0]["code"] == "dispute.out_of_order"

    assert (
        await post(service, f"{url}/intake", {"note": "材料齐全，予以受理"}, "insurance_centre", sub="centre-1")
    ).status_code == 200
    for role, sub in (("stats_reviewer", "stats-1"), ("hr_reviewer", "hr-1"), ("econ_reviewer", "econ-1")):
        r = await post(service, f"{url}/opinions", {"finds_size": "small", "opinion": f"{sub}: 核实为小型"}, role, sub=sub)
        assert r.status_code == 200, r.text
    again = await post(service, f"{url}/opinions", {"finds_size": "medium", "opinion": "again"}, "hr_reviewer")
    assert again.status_code == 409
    assert (
        await post(service, f"{url}/decision", {"outcome": "upheld", "reasons": "三部门一致"}, "hr_reviewer")
    ).status_code == 403
    r = await post(
        service, f"{url}/decision", {"outcome": "upheld", "reasons": "三部门意见一致：小型"}, "stats_reviewer", sub="stats-lead"
    )
    assert r.json()["status"] == "upheld" and r.json()["decided_size"] == "small"
    r = await post(service, f"{url}/province-report", {"reference": "攀人社〔2020〕12号"}, "hr_reviewer", sub="hr-1")
    assert r.json()["status"] == "reported"
    r = await post(service, f"{url}/correction", {"reference": "川统更〔2020〕3号"}, "province_officer", sub="prov-1")
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "corrected" and done["due"] is None
    assert [(st["type"], st["by"], st["role"]) for st in done["steps"]] == [
        ("DisputeFiled", "payer-user", "payer"),
        ("DisputeTakenIn", "centre-1", "insurance_centre"),
        ("OpinionRecorded", "stats-1", "stats_reviewer"),
        ("OpinionRecorded", "hr-1", "hr_reviewer"),
        ("OpinionRecorded", "econ-1", "econ_reviewer"),
        ("DisputeDecided", "stats-lead", "stats_reviewer"),
        ("DisputeReported", "hr-1", "hr_reviewer"),
        ("DisputeCorrected", "prov-1", "province_officer"),
    ]

    corrected = await in_force(service, payer, "2020-02", "small")
    assert corrected["source"]["kind"] == "correction" and corrected["source"]["dispute_id"] == d["dispute_id"]
    assert corrected["periods"] == {"first": "2020-01", "last": "2020-12"}
    async with service.app.state.sessions() as s:
        data = (
            await s.execute(
                sa.select(kernel.events.c.data).where(kernel.events.c.event_type == "classification.EnterpriseSizeCorrected")
            )
        ).scalar_one()
    assert data["previous_size"] == "large" and data["size"] == "small" and data["credit_code"] == payer

    mine = await service.client.get("/v1/disputes", params={"status": "corrected"}, headers=service.token("payer", payer=payer))
    assert [x["dispute_id"] for x in mine.json()] == [d["dispute_id"]]
    theirs = await service.client.get("/v1/disputes", params={"status": "corrected"}, headers=service.token("payer", payer=other))
    assert theirs.json() == []


async def test_open_disputes_by_status_and_age_and_the_overdue_list(service: Any, code: Any) -> None:
    a, b = code(61), code(62)
    await imported(service, f"{a},甲,C31,large,2019,v1", f"{b},乙,C31,large,2019,v1")
    first = (await post(service, "/v1/disputes", filing(a), "payer", payer=a)).json()
    second = (await post(service, "/v1/disputes", filing(b), "payer", payer=b)).json()
    await post(service, f"/v1/disputes/{second['dispute_id']}/intake", {"note": "受理"}, "insurance_centre")

    async def listed(**params: Any) -> Any:
        r = await service.client.get("/v1/disputes", params=params, headers=service.token("insurance_centre"))
        assert r.status_code == 200, r.text
        return [(x["credit_code"], x["status"]) for x in r.json() if x["credit_code"] in (a, b)]

    # the read model follows the log: a and b sit on different partitions, so wait for both
    await service.wait_for(lambda: _has(listed(status="under_review"), (b, "under_review")))
    await service.wait_for(lambda: _has(listed(status="filed"), (a, "filed")))
    assert await listed(status="filed") == [(a, "filed")]
    assert await listed() == [(a, "filed"), (b, "under_review")]
    assert await listed(overdue="true") == []
    later = (datetime.now(UTC) + timedelta(days=6)).isoformat()
    assert await listed(overdue="true", as_of=later) == [(a, "filed")]  # intake due in 5 days; opinions in 15
    r = await service.client.get("/v1/disputes", params={"as_of": later}, headers=service.token("auditor"))
    ages = {x["credit_code"]: (x["age_days"], x["overdue"]) for x in r.json() if x["credit_code"] in (a, b)}
    assert ages == {a: (6, True), b: (6, False)}
    bad = await service.client.get("/v1/disputes", params={"status": "lost"}, headers=service.token("auditor"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.status"
    assert first["status"] == "filed"


async def _has(listing: Any, item: tuple[str, str]) -> bool:
    return item in await listing


async def test_a_legal_entity_split_from_a_group_is_classified_on_its_own(service: Any, code: Any) -> None:
    group, entity = code(71), code(72)
    await imported(service, f"{group},攀钢集团,C31,large,2019,v1")
    body = filing(entity, group_split={"group": group, "effective_period": "2020-04"}, reason="分别参保后按本法人单位划型")
    d = (await post(service, "/v1/disputes", body, "payer", payer=entity)).json()
    assert d["current_size"] == "large" and d["group_split"] == {"group": group, "effective_period": "2020-04"}
    url = f"/v1/disputes/{d['dispute_id']}"
    await post(service, f"{url}/intake", {"note": "受理"}, "insurance_centre")
    for role in ("stats_reviewer", "hr_reviewer", "econ_reviewer"):
        await post(service, f"{url}/opinions", {"finds_size": "small", "opinion": "本法人单位为小型"}, role)
    await post(service, f"{url}/decision", {"outcome": "upheld", "reasons": "单独划型"}, "stats_reviewer")
    await post(service, f"{url}/province-report", {"reference": "r1"}, "hr_reviewer")
    out = await post(service, f"{url}/correction", {"reference": "c1"}, "province_officer")
    assert out.status_code == 200, out.text
    assert (await in_force(service, entity, "2020-04", "small"))["periods"] == {"first": "2020-04", "last": "2020-12"}
    r = await service.client.get(f"/v1/payers/{entity}/size", params={"period": "2020-03"}, headers=service.token("auditor"))
    assert r.status_code == 404  # before the split the entity was enrolled under the group
    assert (await in_force(service, group, "2020-04", "large"))["size"] == "large"  # the group keeps its own


async def test_a_rejected_dispute_changes_nothing_and_bad_evidence_names_the_field(service: Any, code: Any) -> None:
    payer = code(81)
    await imported(service, f"{payer},丁,C31,medium,2019,v1")
    bad = await post(service, "/v1/disputes", filing(payer, evidence={"industry": "C51", "headcount": 5}), "payer", payer=payer)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "evidence.industry"
    same = await post(service, "/v1/disputes", filing(payer, claimed_size="medium"), "payer", payer=payer)
    assert same.status_code == 422 and same.json()["errors"][0]["field"] == "claimed_size"
    floats = await post(
        service, "/v1/disputes", filing(payer, evidence={"industry": "C31", "revenue": 1.5}), "payer", payer=payer
    )
    assert floats.status_code == 422 and floats.json()["errors"][0]["field"] == "body.evidence.revenue"
    d = (await post(service, "/v1/disputes", filing(payer), "payer", payer=payer)).json()
    url = f"/v1/disputes/{d['dispute_id']}"
    await post(service, f"{url}/intake", {"note": "受理"}, "insurance_centre")
    for role in ("stats_reviewer", "hr_reviewer", "econ_reviewer"):
        await post(service, f"{url}/opinions", {"finds_size": "medium", "opinion": "维持中型"}, role)
    r = await post(service, f"{url}/decision", {"outcome": "rejected", "reasons": "营业收入达到中型标准"}, "stats_reviewer")
    assert r.json()["status"] == "rejected" and r.json()["due"] is None
    late = await post(service, f"{url}/correction", {"reference": "x"}, "province_officer")
    assert late.status_code == 409
    assert (await in_force(service, payer, "2020-06", "medium"))["source"]["kind"] == "import"
