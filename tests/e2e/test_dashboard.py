"""The ops dashboard (运行看板) in headless Chromium, over the real platform: every service a process
on PostgreSQL and Kafka, the bank simulator both ways. A payer declares February 2020 at the full
rate and pays at its bank; 人社部发〔2020〕11号 is published, February is halved, the excess is
refunded ex officio, approved and settled through the bank; the payer disputes its size;
classification is stopped, rebuilt from the log and started again. Then the reporting service's
page, opened in Debian's chromium with an ops token in its fragment, draws each chart from that
data (read back from the ECharts instances and compared with the JSON endpoints and the amounts
above), shows the pipeline of every service (subscriptions is not running here: down), its rebuild
fingerprint, refreshes itself, and switches to English, with no console error. The screenshots are
kept as test artifacts: test-artifacts/dashboard.png (Chinese) and dashboard-en.png (English)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from refdata.codes import make_credit_code

from .browser import chromium_page
from .platform import Platform, call, eventually, running_platform

HELD_BACK = ("mohrss-2020-11.yaml", "mohrss-2020-49.yaml", "hubei-2020.yaml")  # 11号 is published by the test
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # git-ignored; CI keeps it
WATCHED = ["declaration", "relief-calc", "classification", "refund", "subscriptions", "reporting"]


@pytest.fixture
def platform(pg_server_url: str, kafka_bootstrap: str, tmp_path: Path) -> Iterator[Platform]:
    with running_platform(pg_server_url, kafka_bootstrap, tmp_path, held_back=HELD_BACK) as p:
        yield p


def _settled_refund(p: Platform, code: str) -> None:
    """February declared and paid at the full rate, then halved by 11号: 400,000 fen refunded and settled."""
    p.register(code)
    p.declare(code, "2020-02", "pension")
    eventually(lambda: p.ledger(code).get("totals", {}).get("due_fen") == 1_200_000, "February's dues")
    p.pay(code, "2020-02", "pension", 1_200_000)
    eventually(lambda: p.ledger(code).get("totals", {}).get("paid_fen") == 1_200_000, "the payment")
    p.publish("mohrss-2020-11.yaml", "dashboard-11")
    [refund] = eventually(lambda: p.refunds(code) or None, "the ex-officio refund")
    assert (refund["amount_fen"], refund["status"]) == (400_000, "requested")
    url = f"{p.refund.url}/v1/payers/{code}/refunds/{refund['refund_id']}"
    status, out = call("POST", url + "/approval", p.token("approver", "refund_approver"), **{"Idempotency-Key": "approve"})
    assert status == 200, out
    eventually(lambda: [r["status"] for r in p.refunds(code)] == ["settled"], "the refund settled")


def _dispute(p: Platform, code: str) -> None:
    filing = {
        "credit_code": code, "statistical_year": 2019, "claimed_size": "small",
        "evidence": {"industry": "C34", "headcount": 250, "revenue": "15000", "assets": "9000"},
        "reason": "2019年从业人员250人、营业收入1.5亿元，应为小型企业",
    }  # fmt: skip
    payer = p.token("payer", "payer", payer=code)
    eventually(lambda: call("POST", p.cls.url + "/v1/disputes", payer, filing)[0] == 201, "the size dispute filed")


def _rebuild_classification(p: Platform, ops: str) -> dict[str, str]:
    """Stop classification, rebuild its projections from the log, start it again: its fingerprints."""
    p.cls.stop()
    status, health = call("GET", p.reporting.url + "/v1/dashboard/pipeline", ops)
    assert status == 200, health
    [cls] = [s for s in health["services"] if s["service"] == "classification"]
    assert (cls["up"], cls["pipeline"]) == (False, None) and cls["error"], cls  # down, and the panel still answers
    command = [str(Path(sys.executable).parent / "classification"), "rebuild", "--no-progress"]
    done = subprocess.run(command, env=p.cls.env, check=True, capture_output=True, text=True)
    p.cls.start()
    return {r["name"]: r["fingerprint"] for r in json.loads(done.stdout)["projections"]}


def _panel_data(p: Platform, ops: str) -> dict[str, Any]:
    out = {}
    for name, path in (("relief", "relief-by-month"), ("refunds", "refunds-by-status"), ("disputes", "disputes-by-age")):
        status, body = call("GET", f"{p.reporting.url}/v1/dashboard/{path}", ops)
        assert status == 200, body
        out[name] = body
    return out


def _read_model_caught_up(p: Platform, ops: str) -> dict[str, Any] | None:
    data = _panel_data(p, ops)
    settled = [i for i in data["refunds"]["items"] if i["status"] == "settled"]
    halved = [i for i in data["relief"]["items"] if (i["fee_period"], i["kind"]) == ("2020-02", "halved")]
    open_disputes = sum(b["disputes"] for b in data["disputes"]["open"])
    if [(i["refunds"], i["amount_fen"]) for i in settled] == [(1, 400_000)] and [i["amount_fen"] for i in halved] == [400_000]:
        return data if open_disputes == 1 else None
    return None


CHARTS_JS = """() => {
  const d = window.dashboard, option = (name) => d.charts[name].getOption();
  const series = (name) => option(name).series.map((s) => ({id: s.id, name: s.name, data: s.data}));
  const drawn = (name) => { const c = d.charts[name].getDom().querySelector("canvas"); return !!c && c.width > 0 && c.height > 0; };
  return {
    relief: {x: option("relief").xAxis[0].data, series: series("relief"), drawn: drawn("relief")},
    refunds: {x: option("refunds").xAxis[0].data, series: series("refunds"), drawn: drawn("refunds")},
    disputes: {x: option("disputes").xAxis[0].data, series: series("disputes"), drawn: drawn("disputes")},
    pipeline: {x: option("pipeline").xAxis[0].data, series: series("pipeline"), drawn: drawn("pipeline")},
    refreshes: d.refreshes, errors: d.errors,
  };
}"""


def test_the_dashboard_draws_the_platforms_real_data_in_chromium(platform: Platform) -> None:
    p = platform
    code = make_credit_code(f"91320600MA{uuid.uuid4().int % 10**4:04d}DBH")
    ops = p.token("ops-1", "ops")
    _settled_refund(p, code)
    _dispute(p, code)
    fingerprints = _rebuild_classification(p, ops)
    data = eventually(lambda: _read_model_caught_up(p, ops), "the reporting read model caught up")

    with chromium_page() as browsing:
        page = browsing.page
        page.goto(f"{p.reporting.url}/dashboard#token={ops}&every=2")
        page.wait_for_function("() => window.dashboard && window.dashboard.lastStatus === 'ok'")
        assert "token=" not in page.url  # the token left the address bar for the tab's sessionStorage
        assert page.inner_text("h1") == "社会保险费阶段性减免 · 运行看板"
        page.wait_for_function("() => window.dashboard.refreshes >= 2")  # it refreshes itself (every 2 s here)
        drawn = page.evaluate(CHARTS_JS)
        assert all(drawn[name]["drawn"] for name in ("relief", "refunds", "disputes", "pipeline"))
        assert drawn["errors"] == 0

        # relief by month and kind: the periods and amounts (fen) of the endpoint; February halved 4,000.00 元
        periods = sorted({i["fee_period"] for i in data["relief"]["items"]})
        assert drawn["relief"]["x"] == periods == ["2020-02"]
        by_kind = {s["id"]: s["data"] for s in drawn["relief"]["series"]}
        assert by_kind == {
            kind: [
                next(i["amount_fen"] for i in data["relief"]["items"] if (i["fee_period"], i["kind"]) == (p_, kind))
                for p_ in periods
            ]
            for kind in ("exempt", "halved", "deferred")
        }
        assert by_kind["halved"] == [400_000] and [s["name"] for s in drawn["relief"]["series"]] == ["免征", "减半征收", "缓缴"]

        # refunds by status: one settled refund of 400,000 fen, every other step empty
        [refunds] = drawn["refunds"]["series"]
        assert refunds["data"] == [i["refunds"] for i in data["refunds"]["items"]]
        settled = [i["status"] for i in data["refunds"]["items"]].index("settled")
        assert drawn["refunds"]["x"][settled] == "已退付" and refunds["data"][settled] == 1 and sum(refunds["data"]) == 1
        assert page.locator("#chart-refunds").is_visible()

        # disputes by age: the one open dispute, filed today
        counts = {s["id"]: s["data"] for s in drawn["disputes"]["series"]}
        assert sum(map(sum, counts.values())) == 1 and sum(v[0] for v in counts.values()) == 1  # in 0-7 days
        assert drawn["disputes"]["x"][0] == "0-7 天"

        # pipeline health: every watched service, subscriptions down, classification's rebuild fingerprints
        assert drawn["pipeline"]["x"] == WATCHED
        rows = {row.get_attribute("data-service"): row for row in page.locator("#pipeline-table tbody tr").all()}
        assert list(rows) == WATCHED
        assert rows["subscriptions"].locator("td.down").count() == 1
        assert all(rows[s].locator("td.up").count() == 1 for s in WATCHED if s != "subscriptions")
        cls_row = rows["classification"].inner_text()
        assert all(f"{name}: {digest[:12]}" in cls_row for name, digest in fingerprints.items()), cls_row
        # the pipeline chart is the data the page fetched, and that data is the endpoint's (bar the live figures)
        fetched = page.evaluate("() => window.dashboard.data.pipeline")
        assert [s["service"] for s in fetched["services"]] == WATCHED
        for key, series in (("consumer_lag", "lag"), ("outbox_backlog", "backlog"), ("dead_lettered", "dead")):
            [drawn_series] = [s for s in drawn["pipeline"]["series"] if s["id"] == series]
            assert drawn_series["data"] == [s["pipeline"][key] if s["up"] else 0 for s in fetched["services"]]
        status, health = call("GET", p.reporting.url + "/v1/dashboard/pipeline", ops)
        assert status == 200
        stable = lambda body: [(s["service"], s["up"], s["up"] and s["pipeline"]["rebuilds"]) for s in body["services"]]  # noqa: E731
        assert stable(fetched) == stable(health)

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

        page.click("#lang")
        page.wait_for_function("() => document.querySelector('h1').textContent.startsWith('Social-insurance')")
        assert page.inner_text("#lang") == "中文"
        english = page.evaluate(CHARTS_JS)
        assert [s["name"] for s in english["relief"]["series"]] == ["Exempted", "Halved", "Deferred"]
        assert english["refunds"]["x"][settled] == "Settled"
        assert page.locator("#pipeline-table thead th").nth(2).inner_text() == "Consumer lag"
        page.screenshot(path=str(ARTIFACTS / "dashboard-en.png"), full_page=True)
        assert browsing.errors == []
