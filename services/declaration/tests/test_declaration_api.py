"""The declaration service through its REST API, with real PostgreSQL and Kafka."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from declaration.adapters.tables import kernel
from eventkit.contracts import validate_envelope
from eventkit.envelope import Envelope
from eventkit.testing.proofs import read_topic

NANTONG = "320600"
CONTRACTS = Path(__file__).resolve().parents[3] / "contracts"


async def records_of(bootstrap: str, credit_code: str, count: int) -> list[Any]:
    """The records keyed by `credit_code` on declaration.events, once `count` of them are there."""
    for _ in range(100):
        records = await read_topic(bootstrap, "declaration.events", expect_distinct=10**9, timeout_s=0.5)
        mine = sorted((r for r in records if r.key == credit_code.encode()), key=lambda r: r.offset)
        if len(mine) >= count:
            return mine
    raise AssertionError(f"{count} records of {credit_code} did not reach Kafka")


async def register(svc: Any, body: dict[str, Any]) -> dict[str, Any]:
    r = await svc.client.post("/v1/payers", json=body, headers=svc.token("tax_officer", region=body["region"]))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def lines(
    base_per_head: int = 500_000, heads: int = 10, insurances: tuple[str, ...] = ("pension", "medical")
) -> list[dict[str, Any]]:
    return [{"insurance": i, "headcount": heads, "base_fen": base_per_head * heads} for i in insurances]


async def test_register_and_read_a_payer_with_personal_data_masked(service: Any, payer_body: Any, code: Any) -> None:
    c = code(1)
    out = await register(service, payer_body(c))
    assert out["credit_code"] == c and out["version"] == 1
    assert (
        out["bank_account"]["masked"] == "6222***********4567"[: len(out["bank_account"]["masked"])]
        or "*" in out["bank_account"]["masked"]
    )
    assert "6222020200001234567" not in json.dumps(out, ensure_ascii=False)
    assert out["contact_name"]["masked"] == "张*"
    got = await service.client.get(f"/v1/payers/{c}", headers=service.token("payer", payer=c))
    assert got.status_code == 200 and got.json()["name"] == "南通某某机械有限公司"
    async with service.app.state.sessions() as s:
        stored = json.dumps([r.data for r in (await s.execute(sa.select(kernel.events))).all()], ensure_ascii=False)
    assert "6222020200001234567" not in stored and "13800001234" not in stored  # encrypted at rest


async def test_the_legal_representative_and_address_are_kept_sealed_and_published_as_blind_indexes(
    service: Any, payer_body: Any, code: Any
) -> None:
    legal = {"name": "王五", "id_number": "32060219800101001x".upper()}
    a, b = code(31), code(32)
    out = await register(service, {**payer_body(a), "legal_representative": legal, "address": "南通市崇川区工农路 １号"})
    assert (out["legal_representative_name"]["masked"], out["address"]) == ("王*", "南通市崇川区工农路 １号")
    assert legal["id_number"] not in json.dumps(out) and out["legal_representative_id"]["masked"].endswith("001X")
    await register(service, {**payer_body(b), "legal_representative": legal, "address": "南通市崇川区工农路1号"})
    async with service.app.state.sessions() as s:
        rows = (
            await s.execute(sa.select(kernel.events.c.subject, kernel.events.c.data).where(kernel.events.c.subject.in_((a, b))))
        ).all()
    profiles = {subject: data["profile"] for subject, data in rows}
    assert legal["id_number"] not in json.dumps(profiles)  # sealed in the event, compared by index only
    assert profiles[a]["legal_representative_index"] == profiles[b]["legal_representative_index"] is not None
    assert profiles[a]["address_index"] == profiles[b]["address_index"] is not None  # the same address, typed otherwise
    assert profiles[a]["bank_account_index"] == profiles[b]["bank_account_index"] is not None


async def test_a_payer_cannot_read_or_write_another_payers_records(service: Any, payer_body: Any, code: Any) -> None:
    mine, theirs = code(2), code(3)
    await register(service, payer_body(mine))
    await register(service, payer_body(theirs))
    me = service.token("payer", payer=mine)
    assert (await service.client.get(f"/v1/payers/{theirs}", headers=me)).status_code == 403
    r = await service.client.post(
        f"/v1/payers/{theirs}/declarations", json={"fee_period": "2020-03", "lines": lines()}, headers=me
    )
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    assert (await service.client.get(f"/v1/payers/{theirs}/declarations", headers=me)).status_code == 403
    assert (await service.client.get(f"/v1/payers/{theirs}/declarations/2020-03", headers=me)).status_code == 403
    other_region = service.token("tax_officer", region="510400")
    assert (await service.client.get(f"/v1/payers/{theirs}", headers=other_region)).status_code == 403
    auditor = service.token("auditor")
    assert (await service.client.get(f"/v1/payers/{theirs}", headers=auditor)).status_code == 200
    r = await service.client.post(
        f"/v1/payers/{theirs}/declarations", json={"fee_period": "2020-03", "lines": lines()}, headers=auditor
    )
    assert r.status_code == 403
    assert (await service.client.get(f"/v1/payers/{theirs}")).status_code == 401


async def test_declaring_computes_amounts_and_publishes_the_event(
    service: Any, payer_body: Any, code: Any, kafka_bootstrap: str
) -> None:
    c = code(4)
    await register(service, payer_body(c))
    body = {
        "fee_period": "2020-03",
        "lines": lines(base_per_head=500_003, heads=10, insurances=("pension", "medical", "work_injury")),
    }
    r = await service.client.post(f"/v1/payers/{c}/declarations", json=body, headers=service.token("payer", payer=c))
    assert r.status_code == 201, r.text
    d = r.json()
    by = {line["insurance"]: line for line in d["lines"]}
    assert by["pension"]["employer_fen"] == 800_005  # 5,000,030 fen × 16 % = 800,004.8 → half-up
    assert by["pension"]["individual_fen"] == 400_002  # × 8 % = 400,002.4
    assert by["medical"]["employer_rate"] == "0.07"
    assert by["work_injury"]["employer_rate"] == "0.0048" and by["work_injury"]["individual_fen"] == 0  # class 2 0.4 % × 1.2
    assert d["status"] == "submitted" and d["assessment"]["status"] == "pending_assessment"
    assert d["employer_fen"] == sum(line["employer_fen"] for line in d["lines"])

    mine = await records_of(kafka_bootstrap, c, 2)
    types = [dict(r.headers)["ce_type"].decode() for r in mine]
    assert types == ["relief.declaration.PayerRegistered.v1", "relief.declaration.DeclarationSubmitted.v1"]
    env = Envelope.from_kafka(mine[1].headers, mine[1].value)
    assert env.subject == c and env.data["declaration"]["fee_period"] == "2020-03"
    for record in mine:  # what other agencies receive is exactly what contracts/events promises
        validate_envelope(Envelope.from_kafka(record.headers, record.value), CONTRACTS)


async def test_update_keeps_unchanged_personal_data_and_a_split_records_the_predecessor(
    service: Any, payer_body: Any, code: Any
) -> None:
    group, entity = code(20), code(21)
    await register(service, payer_body(group))
    same = payer_body(group)
    same.pop("credit_code")
    officer = service.token("tax_officer", region=NANTONG)
    unchanged = await service.client.put(f"/v1/payers/{group}", json=same, headers=officer)
    assert unchanged.status_code == 200 and unchanged.json()["version"] == 1  # resealing the same account is no change
    moved = {**same, "bank_account": {"bank_name": "中国银行南通分行", "account_number": "6013820000009876543"}}
    updated = await service.client.put(f"/v1/payers/{group}", json=moved, headers=officer)
    assert updated.status_code == 200 and updated.json()["version"] == 2
    assert updated.json()["bank_account"]["masked"].endswith("6543")

    split = await service.client.post(
        "/v1/payers", json=payer_body(entity, predecessor=group, split_effective_period="2020-03"), headers=officer
    )
    assert split.status_code == 201 and split.json()["predecessor"] == group
    parent = (await service.client.get(f"/v1/payers/{group}", headers=officer)).json()
    assert parent["successors"] == [entity] and parent["version"] == 3
    async with service.app.state.sessions() as s:
        events = (
            await s.execute(
                sa.select(kernel.events.c.event_type, kernel.events.c.data)
                .where(kernel.events.c.subject == group)
                .order_by(kernel.events.c.position)
            )
        ).all()
    assert [e.event_type for e in events] == ["declaration.PayerRegistered", "declaration.PayerUpdated", "declaration.PayerSplit"]
    assert events[1].data["changed"] == ["bank_account", "bank_name"]
    assert events[2].data == {"credit_code": group, "successor": entity, "effective_period": "2020-03"}

    bad = payer_body(
        code(22),
        region="999999",
        industry={"section": "C", "division": "01"},
        work_injury={"risk_class": 1, "floating_grade": "0.5"},
    )
    r = await service.client.post("/v1/payers", json=bad, headers=service.token("admin"))
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"region", "industry", "work_injury.floating_grade"} <= fields
    wrong_check = code(23)[:-1] + ("0" if code(23)[-1] != "0" else "1")
    r = await service.client.post("/v1/payers", json=payer_body(wrong_check), headers=officer)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "credit_code"
