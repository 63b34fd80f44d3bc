"""The downloads: the XLSX opens with openpyxl and holds exactly the CSV's cells (headers in
Chinese, amounts in 元 with two decimals, a 合计 row), for every report, on the story's read model."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from .conftest import Service
from .story import Story
from .test_reports_api import caught_up

DOWNLOADS = (
    ("/v1/reports/payer-months", "按月分户减免核算"),
    ("/v1/reports/relief-linkage", "免减缓联动分析"),
    ("/v1/reports/medical-relief/320600/2020-02", "职工医保阶段性减征医保费统计表"),
)


def xlsx_cells(body: bytes) -> list[list[str]]:
    """Each cell as printed: a number cell with its number format's decimals, exactly (no float arithmetic)."""
    ws = load_workbook(io.BytesIO(body)).active
    out = []
    for row in ws.iter_rows():
        printed = []
        for c in row:
            if c.value is None:
                printed.append("")
            elif isinstance(c.value, int | float) and not isinstance(c.value, bool):
                places = len(c.number_format.split(".")[1]) if "." in c.number_format else 0
                printed.append(str(Decimal(repr(c.value)).quantize(Decimal(1).scaleb(-places))))
            else:
                printed.append(str(c.value))
        out.append(printed)
    return out


async def test_xlsx_matches_csv_for_every_report(service: Service, story: Story) -> None:
    await service.publish(story)
    await caught_up(service, story)
    ops = service.token("ops")
    for path, title in DOWNLOADS:
        r_csv = await service.client.get(path + ".csv", headers=ops)
        r_xlsx = await service.client.get(path + ".xlsx", headers=ops)
        assert r_csv.status_code == r_xlsx.status_code == 200, (path, r_csv.text)
        assert r_csv.headers["content-type"].startswith("text/csv")
        assert r_xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert "filename*=UTF-8''" in r_xlsx.headers["content-disposition"]
        assert r_csv.content.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(r_csv.content.decode("utf-8-sig"))))
        assert xlsx_cells(r_xlsx.content) == rows, path
        assert load_workbook(io.BytesIO(r_xlsx.content)).active.title == title
        json_report = (await service.client.get(path, headers=ops)).json()
        assert rows[0] == [c["header"] for c in json_report["columns"]]
        assert len(rows) == 1 + len(json_report["items"]) + (1 if json_report["totals"] else 0)
    payer_rows = list(
        csv.reader(io.StringIO((await service.client.get(DOWNLOADS[0][0] + ".csv", headers=ops)).content.decode("utf-8-sig")))
    )
    headers, *body, total = payer_rows
    assert total[0] == "合计"
    paid = headers.index("已缴（元）")
    assert sum(Decimal(r[paid]) for r in body) == Decimal(total[paid])
    mine = [r for r in body if r[0] == story.a and r[3] == "2020-02" and r[4] == "基本养老保险"]
    assert mine[0][paid] == "12000.00" and mine[0][headers.index("免征额（元）")] == "8000.00"
