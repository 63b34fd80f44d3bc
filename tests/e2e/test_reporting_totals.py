"""Issue 8's done-criterion, end to end: after a story through the whole platform (declare, assess,
pay at the bank, a relief published afterwards, the credit refunded ex officio through the bank
simulator), every report of the reporting service adds up to the refund ledger's own entries, read
through refund's REST statement, to the fen; and the relief it reports is what relief-calc
assessed. Every service runs as its own process on PostgreSQL and the shared Kafka broker."""

from __future__ import annotations

import csv
import io
import urllib.request
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from refdata.codes import make_credit_code

from .platform import Platform, call, eventually, running_platform

# 11号 is published during the story (February was paid in full before it); 49号 and 湖北 build on it
HELD_BACK = ("mohrss-2020-11.yaml", "mohrss-2020-49.yaml", "hubei-2020.yaml")
LEDGER = ("due_fen", "paid_fen", "offset_in_fen", "credited_fen", "offset_out_fen", "refunded_fen", "outstanding_fen")


@pytest.fixture
def platform(pg_server_url: str, kafka_bootstrap: str, tmp_path: Path) -> Iterator[Platform]:
    with running_platform(pg_server_url, kafka_bootstrap, tmp_path, held_back=HELD_BACK) as p:
        yield p


def statement(p: Platform, code: str) -> list[dict[str, Any]]:
    status, out = call("GET", f"{p.refund.url}/v1/payers/{code}/ledger/statement?limit=1000", p.token("t", "tax_officer"))
    assert status == 200 and out["next_offset"] is None, out
    return list(out["items"])


def by_month(lines: list[dict[str, Any]], code: str) -> dict[tuple[str, str, str], dict[str, int]]:
    """The statement's lines summed over the parts (employer, individual): the report's grain."""
    out: dict[tuple[str, str, str], dict[str, int]] = {}
    for line in lines:
        assert line["fee_period"], "no money may sit on the unallocated account in this story"
        row = out.setdefault((code, line["fee_period"], line["insurance"]), dict.fromkeys(LEDGER, 0))
        for k in LEDGER:
            row[k] += line[k]
    return out


def report(p: Platform, path: str, **params: str) -> dict[str, Any]:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    status, out = call("GET", f"{p.reporting.url}{path}?{query}", p.token("ops-1", "ops"))
    assert status == 200, out
    return out  # type: ignore[no-any-return]


def test_every_report_adds_up_to_the_refund_ledger_to_the_fen(platform: Platform) -> None:
    p, run = platform, uuid.uuid4().int % 10**4
    first, second = (make_credit_code(f"91320600MA{run:04d}RT{x}") for x in "AB")
    admin, approver = p.token("tax-bureau", "admin"), p.token("approver-1", "refund_approver")
    # February: declared and paid in full before any relief is published
    p.register(first, insurances=("pension", "medical"))
    p.declare(first, "2020-02", "pension", "medical")
    eventually(lambda: p.ledger(first).get("totals", {}).get("due_fen", 0) > 0, "February's dues on the ledger")
    for insurance in ("pension", "medical"):
        due = sum(x["due_fen"] for x in statement(p, first) if x["insurance"] == insurance)
        p.pay(first, "2020-02", insurance, due)
    eventually(lambda: p.ledger(first)["totals"]["outstanding_fen"] == 0, "February paid")
    # 人社部发〔2020〕11号 published: February reassessed (size unknown: large, halved), the excess refunded ex officio
    p.publish("mohrss-2020-11.yaml", "pub-11")
    p.liability(first, "2020-02", version=2)
    [refund] = eventually(lambda: p.refunds(first) or None, "the ex-officio refund")
    refund_url = f"{p.refund.url}/v1/payers/{first}/refunds/{refund['refund_id']}"
    assert call("POST", refund_url + "/approval", approver, **{"Idempotency-Key": f"ap-{run}"})[0] == 200
    eventually(lambda: call("GET", refund_url, admin)[1]["status"] == "settled", "the refund settled at the bank")
    # March, under 11号: a second payer declares and pays its pension only
    p.register(second, insurances=("pension", "medical"), name="南通某某重工有限公司")
    p.declare(second, "2020-03", "pension", "medical")
    p.liability(second, "2020-03")
    eventually(lambda: p.ledger(second).get("totals", {}).get("due_fen", 0) > 0, "March's dues on the ledger")
    p.pay(second, "2020-03", "pension", sum(x["due_fen"] for x in statement(p, second) if x["insurance"] == "pension"))
    eventually(lambda: p.ledger(second)["totals"]["paid_fen"] > 0, "March's pension paid")

    ledger = {**by_month(statement(p, first), first), **by_month(statement(p, second), second)}
    codes = {first, second}

    def caught_up() -> dict[str, Any] | None:
        out = report(p, "/v1/reports/payer-months", region="320600")
        mine = {
            (x["credit_code"], x["fee_period"], x["insurance"]): {k: x[k] for k in LEDGER}
            for x in out["items"]
            if x["credit_code"] in codes
        }
        return out if mine == ledger else None

    # 按月分户: every line and the totals equal the ledger's statement to the fen
    payer_months = eventually(caught_up, "the reporting read model equal to the ledger")
    assert {x["credit_code"] for x in payer_months["items"]} == codes  # the platform's read model holds this story only
    for k in LEDGER:
        assert payer_months["totals"][k] == sum(v[k] for v in ledger.values()), k
    # the relief it reports is what relief-calc assessed
    for code, period in ((first, "2020-02"), (second, "2020-03")):
        assessed = {x["insurance"]: x for x in p.liability(code, period)["liability"]["lines"]}
        for line in (x for x in payer_months["items"] if x["credit_code"] == code and x["fee_period"] == period):
            a = assessed[line["insurance"]]
            assert line["exempt_fen"] + line["halved_fen"] == a["employer_relief_fen"]
            assert (line["original_fen"], line["payable_fen"], line["individual_fen"]) == (
                a["employer_original_fen"], a["employer_payable_fen"], a["individual_fen"],
            )  # fmt: skip
    # 免、减、缓联动分析: per region and month, the ledger's sums
    linkage = report(p, "/v1/reports/relief-linkage", region="320600")
    for row in linkage["items"]:
        month = [v for (_, period, _), v in ledger.items() if period == row["fee_period"]]
        for k in LEDGER:
            assert row[k] == sum(v[k] for v in month), (row["fee_period"], k)
        assert row["revenue_fen"] == sum(v["paid_fen"] + v["offset_in_fen"] - v["credited_fen"] for v in month)
    for k in LEDGER:
        assert linkage["totals"][k] == payer_months["totals"][k], k
    # 职工医保减征统计表: the amount reduced is relief-calc's medical relief, the refunded payer counted
    for code, period in ((first, "2020-02"), (second, "2020-03")):
        medical = report(p, f"/v1/reports/medical-relief/320600/{period}")["items"][0]
        assessed = next(x for x in p.liability(code, period)["liability"]["lines"] if x["insurance"] == "medical")
        assert medical["reduced_fen"] == assessed["employer_relief_fen"] > 0
        assert assessed["basis"]["document"] in medical["documents"].split("；") and medical["window"]
        assert Decimal(medical["rate_after"]) * 2 == Decimal(medical["rate_before"]) > 0
        assert medical["enterprises"] == 1 and medical["employees"] == 10
        settled = ledger[(code, period, "medical")]
        assert medical["enterprises_settled"] == (1 if settled["refunded_fen"] or settled["offset_out_fen"] else 0)
    # the dashboard's refunds equal the ledger's refunded money
    refunds = report(p, "/v1/dashboard/refunds-by-status", region="320600")["items"]
    assert (
        sum(x["amount_fen"] for x in refunds if x["status"] == "settled") == sum(v["refunded_fen"] for v in ledger.values()) > 0
    )
    # the download's 合计 row prints the same totals in 元
    request = urllib.request.Request(
        f"{p.reporting.url}/v1/reports/payer-months.csv?region=320600",
        headers={"Authorization": f"Bearer {p.token('ops-1', 'ops')}"},
    )
    with urllib.request.urlopen(request, timeout=30) as r:
        headers, *_, total = list(csv.reader(io.StringIO(r.read().decode("utf-8-sig"))))
    refunded = sum(v["refunded_fen"] for v in ledger.values())
    assert total[headers.index("已退费（元）")] == f"{refunded // 100}.{refunded % 100:02d}"
