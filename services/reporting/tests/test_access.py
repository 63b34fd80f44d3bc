"""Roles and scoping over REST: ops and auditor everywhere (the auditor reads only), a tax officer
its own region's reports only, a medical officer its own city's medical table and fund figures
only; anyone else 403, no token 401; errors are RFC 9457 problems naming the field."""

from __future__ import annotations

import pytest

from .conftest import Service

REPORTS = ("/v1/reports/payer-months", "/v1/reports/relief-linkage", "/v1/dashboard/relief-by-month",
           "/v1/dashboard/refunds-by-status", "/v1/dashboard/disputes-by-age", "/v1/reports/payer-months.csv")  # fmt: skip
MEDICAL = "/v1/reports/medical-relief/320600/2020-03"
FUND = "/v1/medical-fund/320600/2020-03"
FIGURES = {"balance_fen": 100, "income_fen": 10, "spending_fen": 5}


@pytest.mark.parametrize("path", REPORTS)
async def test_who_reads_the_reports(service: Service, path: str) -> None:
    get = service.client.get
    assert (await get(path, headers=service.token("ops"))).status_code == 200
    assert (await get(path, headers=service.token("auditor"))).status_code == 200
    assert (await get(path, headers=service.token("tax_officer", region="320600"))).status_code == 200
    assert (
        await get(path, params={"region": "320600"}, headers=service.token("tax_officer", region="320600"))
    ).status_code == 200
    other = await get(path, params={"region": "510400"}, headers=service.token("tax_officer", region="320600"))
    assert other.status_code == 403 and other.headers["content-type"].startswith("application/problem+json")
    assert (await get(path, headers=service.token("tax_officer"))).status_code == 403  # no region claim
    assert (await get(path, headers=service.token("medical_officer", region="320600"))).status_code == 403
    assert (await get(path, headers=service.token("payer", payer="91320600MA0000RPAX"))).status_code == 403
    assert (await get(path)).status_code == 401


async def test_a_tax_officer_sees_its_own_region_only(service: Service) -> None:
    r = await service.client.get("/v1/reports/payer-months", headers=service.token("tax_officer", region="510400"))
    assert r.json()["filter"]["region"] == "510400"


async def test_who_reads_the_medical_table_and_enters_the_fund_figures(service: Service) -> None:
    get, put = service.client.get, service.client.put
    own = service.token("medical_officer", region="320600")
    assert (await get(MEDICAL, headers=own)).status_code == 200
    assert (await get(MEDICAL + ".xlsx", headers=own)).status_code == 200
    assert (await get(MEDICAL, headers=service.token("medical_officer", region="510400"))).status_code == 403
    assert (await get(MEDICAL, headers=service.token("tax_officer", region="320600"))).status_code == 403
    for role in ("ops", "auditor"):
        assert (await get(MEDICAL, headers=service.token(role))).status_code == 200
        assert (await put(FUND, json=FIGURES, headers=service.token(role))).status_code == 403
    assert (await get(FUND, headers=own)).status_code == 404
    assert (await put(FUND, json=FIGURES, headers=service.token("medical_officer", region="510400"))).status_code == 403
    assert (await put(FUND, json=FIGURES, headers=own)).status_code == 200
    assert (await get(FUND, headers=service.token("auditor"))).json()["balance_fen"] == 100


async def test_invalid_input_is_a_problem_naming_the_field(service: Service) -> None:
    ops = service.token("ops")
    r = await service.client.get("/v1/reports/payer-months", params={"from": "2020-06", "to": "2020-02"}, headers=ops)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.from"
    r = await service.client.get("/v1/reports/relief-linkage", params={"region": "32060"}, headers=ops)
    assert r.status_code == 422 and "region" in r.json()["errors"][0]["field"]
    r = await service.client.get("/v1/reports/payer-months.pdf", headers=ops)
    assert r.status_code == 422 and "fmt" in r.json()["errors"][0]["field"]
    r = await service.client.put(
        FUND, json={**FIGURES, "income_fen": -1}, headers=service.token("medical_officer", region="320600")
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.income_fen"
    r = await service.client.put(
        FUND, json={**FIGURES, "income_fen": 1.5}, headers=service.token("medical_officer", region="320600")
    )
    assert r.status_code == 422, "amounts are integer fen, never fractions"
