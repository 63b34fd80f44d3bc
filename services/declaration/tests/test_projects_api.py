"""工程建设项目按项目参保 through the declaration API, with real PostgreSQL and Kafka."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from eventkit.contracts import validate_envelope
from eventkit.envelope import Envelope
from eventkit.testing.proofs import read_topic
from refdata.codes import make_credit_code

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts"
_RUN = secrets.randbelow(10**4)


def contractor(n: int) -> str:
    """A credit code of its own for this module's contractors (other tests number payers by `code(n)`)."""
    return make_credit_code(f"91320600PJ{_RUN:04d}{n:03d}")


def project_body(**over: Any) -> dict[str, Any]:
    body = {
        "project_code": "NT-2020-0301", "name": "南通某某大桥工程", "started": "2020-03-01", "planned_months": 12,
        "contract_price_fen": 800_000_000, "rate_per_mille": "1.5",
    }  # fmt: skip
    return body | over


async def _records(bootstrap: str, credit_code: str, count: int) -> list[Any]:
    for _ in range(100):
        records = await read_topic(bootstrap, "declaration.events", expect_distinct=10**9, timeout_s=0.5)
        mine = sorted((r for r in records if r.key == credit_code.encode()), key=lambda r: r.offset)
        if len(mine) >= count:
            return mine
    raise AssertionError(f"{count} records of {credit_code} did not reach Kafka")


async def test_a_contractor_declares_a_project_and_the_event_is_keyed_by_its_credit_code(
    service: Any, payer_body: Any, kafka_bootstrap: str
) -> None:
    c = contractor(1)
    r = await service.client.post("/v1/payers", json=payer_body(c), headers=service.token("admin"))
    assert r.status_code == 201, r.text
    me = {**service.token("payer", payer=c), "Idempotency-Key": f"project-{c}"}
    r = await service.client.post(f"/v1/payers/{c}/projects", json=project_body(), headers=me)
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["premium_fen"], out["revision"], out["region"]) == (1_200_000, 1, "320600")  # 800 万元 × 1.5 ‰
    assert r.headers["location"] == f"/v1/payers/{c}/projects/NT-2020-0301"
    again = await service.client.post(f"/v1/payers/{c}/projects", json=project_body(), headers=me)
    assert (again.status_code, again.json()) == (201, out)  # the Idempotency-Key replays the answer

    twice = await service.client.post(f"/v1/payers/{c}/projects", json=project_body(), headers=service.token("payer", payer=c))
    assert twice.status_code == 409 and twice.json()["errors"][0]["code"] == "project.exists"

    fix = project_body(planned_months=10, premium_fen=1_200_000, correction={"reason": "工期调整"})
    r = await service.client.post(f"/v1/payers/{c}/projects", json=fix, headers=service.token("payer", payer=c))
    assert r.status_code == 200 and (r.json()["revision"], r.json()["planned_months"]) == (2, 10), r.text
    got = await service.client.get(f"/v1/payers/{c}/projects/NT-2020-0301", headers=service.token("auditor"))
    assert got.status_code == 200 and got.json() == r.json()

    async def listed() -> Any:
        r = await service.client.get(f"/v1/payers/{c}/projects", headers=service.token("payer", payer=c))
        items = r.json()["items"] if r.status_code == 200 else []
        return items if items and items[0]["revision"] == 2 else None

    [item] = await service.wait_for(listed)
    assert (item["project_code"], item["planned_months"], item["premium_fen"]) == ("NT-2020-0301", 10, 1_200_000)

    mine = await _records(kafka_bootstrap, c, 3)
    types = [dict(x.headers)["ce_type"].decode() for x in mine]
    assert types == [
        "relief.declaration.PayerRegistered.v1",
        "relief.declaration.ProjectDeclared.v1",
        "relief.declaration.ProjectCorrected.v1",
    ]
    for record in mine:
        env = Envelope.from_kafka(record.headers, record.value)
        assert env.subject == c
        validate_envelope(env, CONTRACTS)
    corrected = Envelope.from_kafka(mine[2].headers, mine[2].value).data
    assert (corrected["previous_revision"], corrected["reason"], corrected["project"]["started"]) == (1, "工期调整", "2020-03-01")


async def test_bad_input_names_the_field_and_writes_nothing(service: Any, payer_body: Any) -> None:
    c, other = contractor(2), contractor(3)
    for x in (c, other):
        assert (await service.client.post("/v1/payers", json=payer_body(x), headers=service.token("admin"))).status_code == 201
    me = service.token("payer", payer=c)
    cases = [
        (project_body(premium_fen=1), "premium_fen"),
        (project_body(rate_per_mille=None), "rate_per_mille"),
        (project_body(contract_price_fen=None, rate_per_mille=None), "premium_fen"),
        (project_body(planned_months=0), "planned_months"),
        (project_body(started="1999-12-01"), "started"),
        (project_body(project_code="nt 2020"), "project_code"),
    ]
    for body, field in cases:
        r = await service.client.post(f"/v1/payers/{c}/projects", json=body, headers=me)
        assert r.status_code == 422, (field, r.text)
        problem = r.json()
        assert r.headers["content-type"].startswith("application/problem+json")
        assert any(field in e["field"] for e in problem["errors"]), (field, problem)
    missing = await service.client.get(f"/v1/payers/{c}/projects/NT-2020-0301", headers=me)
    assert missing.status_code == 404  # nothing was written
    r = await service.client.post(f"/v1/payers/{other}/projects", json=project_body(), headers=me)
    assert r.status_code == 403  # a payer declares only its own projects
    r = await service.client.post(f"/v1/payers/{other}/projects", json=project_body(), headers=service.token("auditor"))
    assert r.status_code == 403  # auditors read only
    r = await service.client.post(
        f"/v1/payers/{other}/projects", json=project_body(), headers=service.token("tax_officer", region="320600")
    )
    assert r.status_code == 201, r.text
    assert (await service.client.get(f"/v1/payers/{other}/projects/NT-2020-0301", headers=me)).status_code == 403
