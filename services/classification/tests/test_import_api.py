"""Province data import over HTTP, on PostgreSQL and Kafka: preview, apply once by file hash,
sizes fixed per statistical year, contradicting indicators flagged, XLSX as well as CSV."""

from __future__ import annotations

import io
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook

from classification.adapters.tables import kernel
from eventkit.testing.proofs import read_topic

CSV = {"Content-Type": "text/csv"}
XLSX = {"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
HEADER = "统一社会信用代码,单位名称,行业代码,企业规模,统计年度,数据版本,从业人员,营业收入,资产总额"


def csv_file(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


async def size_of(svc: Any, code: str, period: str) -> Any:
    async def found() -> Any:
        r = await svc.client.get(f"/v1/payers/{code}/size", params={"period": period}, headers=svc.token("auditor"))
        return r.json() if r.status_code == 200 else None

    return await svc.wait_for(found)


async def test_preview_then_apply_once_and_the_size_is_in_force(service: Any, code: Any) -> None:
    a, b, c = code(11), code(12), code(13)
    bad = c[:17] + ("0" if c[17] != "0" else "1")
    data = csv_file(
        f"{a},攀枝花甲钢铁有限公司,C31,大型,2019,川统2020-01,,,",
        f"{b},攀枝花乙商贸有限公司,51,small,2019,川统2020-01,8,1200,",  # indicators: small, consistent
        f"{c},攀枝花丙餐饮有限公司,62,large,2019,川统2020-01,15,50,",  # indicators: micro → flagged
        f"{bad},坏校验码,62,small,2019,川统2020-01,,,",
        f"{a},重复行,C31,large,2019,川统2020-01,,,",
        f"{code(14)},未知规模,62,huge,2019,川统2020-01,,,",
    )
    officer = service.token("province_officer", sub="prov-1")
    r = await service.client.post("/v1/size-imports:preview", content=data, headers={**officer, **CSV})
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["summary"] == {"rows": 6, "new": 3, "changed": 0, "unchanged": 0, "errors": 3, "flagged": 1}
    assert [x["credit_code"] for x in p["flagged"]] == [c] and p["flagged"][0]["expected_size"] == "micro"
    assert [(e["row"], e["errors"][0]["field"], e["errors"][0]["code"]) for e in p["errors"]] == [
        (4, "credit_code", "credit_code.invalid"),
        (5, "credit_code", "row.duplicate"),
        (6, "size", "size.unknown"),
    ]
    async with service.app.state.sessions() as s:
        assert not await s.scalar(sa.select(sa.func.count()).select_from(kernel.events))  # a preview records nothing

    first = await service.client.post("/v1/size-imports?file_name=sc-2019.csv", content=data, headers={**officer, **CSV})
    assert first.status_code == 201, first.text
    assert first.json()["import_id"] == p["import_id"] and first.json()["summary"]["new"] == 3
    again = await service.client.post("/v1/size-imports", content=data, headers={**officer, **CSV})
    assert again.status_code == 200 and again.json()["already_applied"] is True
    async with service.app.state.sessions() as s:
        types = (await s.execute(sa.select(kernel.events.c.event_type).order_by(kernel.events.c.position))).scalars().all()
    assert sorted(types) == sorted(
        ["classification.EnterpriseSizeAssigned"] * 3
        + ["classification.SizeReviewFlagged", "classification.ProvinceImportApplied"]
    )

    in_force = await size_of(service, a, "2020-03")
    assert in_force["size"] == "large" and in_force["periods"] == {"first": "2020-01", "last": "2020-12"}
    assert in_force["source"]["kind"] == "import" and in_force["source"]["source_version"] == "川统2020-01"
    assert in_force["source"]["import_id"] == p["import_id"] and in_force["source"]["statistical_year"] == 2019
    r = await service.client.get(f"/v1/payers/{a}/size", params={"period": "2021-01"}, headers=service.token("auditor"))
    assert r.status_code == 404
    flags = await service.client.get("/v1/size-reviews", headers=service.token("stats_reviewer"))
    assert [(f["credit_code"], f["kind"], f["expected_size"]) for f in flags.json()] == [(c, "indicators_contradict", "micro")]
    assert (await size_of(service, c, "2020-12"))["size"] == "large"  # flagged, not changed

    records = await read_topic(service.bootstrap, "classification.events", expect_distinct=10**9, timeout_s=1)
    assigned = [r for r in records if r.key == a.encode()]
    assert assigned and dict(assigned[0].headers)["ce_type"] == b"relief.classification.EnterpriseSizeAssigned.v1"


async def test_a_later_file_changing_a_years_size_is_held_not_applied(service: Any, code: Any) -> None:
    a = code(21)
    officer = {**service.token("province_officer"), **CSV}
    assert (
        await service.client.post("/v1/size-imports", content=csv_file(f"{a},甲,C31,large,2019,v1,,,"), headers=officer)
    ).status_code == 201
    second = csv_file(f"{a},甲,C31,small,2019,v2,,,", f"{a},甲,C31,small,2020,v2,,,")
    p = (await service.client.post("/v1/size-imports:preview", content=second, headers=officer)).json()
    assert [(x["statistical_year"], x["current_size"], x["size"]) for x in p["changed"]] == [(2019, "large", "small")]
    assert [x["statistical_year"] for x in p["new"]] == [2020]
    assert (await service.client.post("/v1/size-imports", content=second, headers=officer)).status_code == 201
    assert (await size_of(service, a, "2021-05"))["size"] == "small"
    assert (await size_of(service, a, "2020-05"))["size"] == "large"  # fixed for statistical year 2019

    async def held() -> Any:
        r = await service.client.get("/v1/size-reviews", params={"kind": "size_change_held"}, headers=service.token("auditor"))
        return [f for f in r.json() if f["credit_code"] == a]

    assert (await service.wait_for(held))[0]["imported_size"] == "small"
    history = (await service.client.get(f"/v1/payers/{a}/size-history", headers=service.token("payer", payer=a))).json()
    assert [(h["kind"], h["size"], h["statistical_year"]) for h in history] == [
        ("assigned", "large", 2019),
        ("flagged", "small", 2019),
        ("assigned", "small", 2020),
    ]


async def test_xlsx_files_and_file_level_problems(service: Any, code: Any) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    sheet.append([code(31), "乙", "7010", "中型", 2019, "v1", None, 5000.5, 6000])
    buffer = io.BytesIO()
    book.save(buffer)
    officer = service.token("province_officer")
    r = await service.client.post("/v1/size-imports", content=buffer.getvalue(), headers={**officer, **XLSX})
    assert r.status_code == 201, r.text
    assert r.json()["file_format"] == "xlsx" and r.json()["summary"]["new"] == 1 and r.json()["summary"]["flagged"] == 0

    r = await service.client.post("/v1/size-imports:preview", content=b"credit_code,name\n", headers={**officer, **CSV})
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {
        "file.columns.industry",
        "file.columns.size",
        "file.columns.statistical_year",
        "file.columns.source_version",
    }
    r = await service.client.post("/v1/size-imports", content=b"x", headers={**officer, "Content-Type": "application/json"})
    assert r.status_code == 415 and r.json()["errors"][0]["field"] == "header.Content-Type"
    r = await service.client.post("/v1/size-imports", content=b"not a zip", headers={**officer, **XLSX})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "file.xlsx_invalid"


async def test_only_the_province_imports_and_payers_see_only_their_own(service: Any, code: Any) -> None:
    data = csv_file(f"{code(41)},丙,C31,large,2019,v1,,,")
    for role in ("payer", "insurance_centre", "stats_reviewer", "auditor"):
        r = await service.client.post("/v1/size-imports", content=data, headers={**service.token(role), **CSV})
        assert r.status_code == 403, role
    r = await service.client.get(
        f"/v1/payers/{code(41)}/size", params={"period": "2020-01"}, headers=service.token("payer", payer=code(42))
    )
    assert r.status_code == 403
