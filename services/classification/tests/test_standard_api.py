"""POST /v1/size-standard/evaluate over HTTP: the class, each indicator's class, the decider; exact
万元 amounts only; RFC 9457 problems naming the field; roles."""

from __future__ import annotations

from typing import Any

URL = "/v1/size-standard/evaluate"


async def test_evaluate_gives_the_class_each_indicators_class_and_the_decider(service: Any) -> None:
    body = {"industry": "C13", "headcount": 1200, "revenue": "1500", "assets": 10}
    r = await service.client.post(URL, json=body, headers=service.token("stats_reviewer"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["size"] == "small" and out["row"] == "industry" and out["decided_by"] == ["Y"]
    assert [(i["indicator"], i["size"]) for i in out["indicators"]] == [("X", "large"), ("Y", "small")]
    assert out["indicators"][1]["lower_bounds"] == {"large": "40000", "medium": "2000", "small": "300"}


async def test_outside_the_standard_is_unclassifiable(service: Any, code: Any) -> None:
    r = await service.client.post(URL, json={"industry": "J66", "headcount": 3}, headers=service.token("payer", payer=code(1)))
    assert r.status_code == 200 and r.json()["size"] == "unclassifiable" and r.json()["reason"]


async def test_floats_and_missing_indicators_are_problems_naming_the_field(service: Any) -> None:
    headers = service.token("insurance_centre")
    r = await service.client.post(URL, json={"industry": "C", "headcount": 5, "revenue": 1500.5}, headers=headers)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == ["body.revenue"]
    r = await service.client.post(URL, json={"industry": "E", "revenue": "500"}, headers=headers)
    assert r.status_code == 422 and [(e["field"], e["code"]) for e in r.json()["errors"]] == [("assets", "indicator.required")]
    r = await service.client.post(URL, json={"industry": "G", "headcount": 5, "revenue": "1"}, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "industry"


async def test_a_token_is_required_and_a_retry_with_the_same_key_replays(service: Any) -> None:
    assert (await service.client.post(URL, json={"industry": "M", "headcount": 5})).status_code == 401
    headers = {**service.token("auditor"), "Idempotency-Key": "eval-1"}
    first = await service.client.post(URL, json={"industry": "M", "headcount": 150}, headers=headers)
    again = await service.client.post(URL, json={"industry": "M", "headcount": 150}, headers=headers)
    assert first.json() == again.json() and first.json()["size"] == "medium"
    assert again.headers.get("Idempotent-Replayed") == "true"
