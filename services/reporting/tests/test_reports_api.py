"""The reports over REST on the read model the live consumers build from a story on the real
Kafka broker (PostgreSQL): every ledger sum equals the events' own to the fen, relief by kind,
deferral, the region-month analysis is the sum of its payers' lines, the medical table with the
fund figures the officer enters (an event of reporting's own), and the dashboard's JSON."""

from __future__ import annotations

import asyncio
from typing import Any

from .conftest import Service
from .story import PREMIUM, PROJECT, PROJECT_RELIEF, Story

LEDGER = ("due_fen", "paid_fen", "offset_in_fen", "credited_fen", "offset_out_fen", "refunded_fen")
OPS = ("ops",)


async def caught_up(service: Service, story: Story) -> dict[str, Any]:
    """The payer report once every ledger event, liability and the dispute have been applied."""
    expected_due = sum(v["due_fen"] for v in story.expected_accounts().values())

    async def probe() -> dict[str, Any] | None:
        r = await service.client.get("/v1/reports/payer-months", headers=service.token(*OPS))
        out: dict[str, Any] = r.json()
        ours = [x for x in out["items"] if x["credit_code"] in (story.a, story.b, story.c, story.d)]
        refunds = (await service.client.get("/v1/dashboard/refunds-by-status", headers=service.token(*OPS))).json()
        settled = next(x for x in refunds["items"] if x["status"] == "settled")["refunds"]
        ready = sum(x["due_fen"] for x in ours) == expected_due and any(x["deferred_fen"] for x in ours) and settled == 2
        relieved = any(x["project"] and x["exempt_fen"] for x in ours)  # the project's reassessment applied
        return out if ready and relieved and len({x["credit_code"] for x in ours if x["relief"]}) == 4 else None

    return await service.wait_for(probe)  # type: ignore[no-any-return]


async def test_payer_months_equal_the_ledger_events_and_show_relief_by_kind(service: Service, story: Story) -> None:
    await service.publish(story)
    report = await caught_up(service, story)
    lines = {(x["credit_code"], x["fee_period"], x["insurance"], x["project"]): x for x in report["items"]}
    for key, sums in story.expected_accounts().items():
        assert {k: lines[key][k] for k in LEDGER} == sums, key
        assert lines[key]["outstanding_fen"] == sums["due_fen"] - sums["paid_fen"] - sums["offset_in_fen"] + sums["credited_fen"]
    a_pension = lines[(story.a, "2020-03", "pension", "")]
    assert (a_pension["relief"], a_pension["exempt_fen"], a_pension["halved_fen"], a_pension["payable_fen"]) == (
        "exempt",
        800_000,
        0,
        0,
    )
    a_medical = lines[(story.a, "2020-02", "medical", "")]
    assert (a_medical["halved_fen"], a_medical["payable_fen"], a_medical["refunded_fen"]) == (175_000, 175_000, 0)
    assert lines[(story.b, "2020-03", "pension", "")]["deferred_fen"] == 500_000  # the deferred employer payable
    assert lines[(story.a, "2020-02", "pension", "")]["payer_name"] == "南通甲机械有限公司"
    # the construction project: a line of its own in its first month, beside the contractor's monthly work injury
    project, monthly = lines[(story.d, "2020-03", "work_injury", PROJECT)], lines[(story.d, "2020-03", "work_injury", "")]
    assert (project["original_fen"], project["exempt_fen"], project["halved_fen"], project["payable_fen"]) == (
        PREMIUM, PROJECT_RELIEF, 0, PREMIUM - PROJECT_RELIEF,
    )  # fmt: skip
    assert (project["due_fen"], project["paid_fen"], project["credited_fen"], project["refunded_fen"]) == (
        PREMIUM - PROJECT_RELIEF, PREMIUM, PROJECT_RELIEF, PROJECT_RELIEF,
    )  # fmt: skip
    assert project["outstanding_fen"] == 0 and project["individual_fen"] == project["deferred_fen"] == 0
    assert (monthly["original_fen"], monthly["exempt_fen"], monthly["due_fen"], monthly["paid_fen"]) == (30_000, 30_000, 0, 0)
    for column in (*LEDGER, "original_fen", "exempt_fen", "halved_fen", "deferred_fen"):
        assert report["totals"][column] == sum(x[column] for x in report["items"]), column
    assert [c["header"] for c in report["columns"]][:2] == ["统一社会信用代码", "单位名称"]
    assert [c["header"] for c in report["columns"]][5] == "项目"


async def test_linkage_sums_its_payers_and_compares_with_the_month_before(service: Service, story: Story) -> None:
    await service.publish(story)
    payer_report = await caught_up(service, story)
    r = await service.client.get("/v1/reports/relief-linkage", params={"region": "320600"}, headers=service.token(*OPS))
    assert r.status_code == 200, r.text
    rows = {x["fee_period"]: x for x in r.json()["items"]}
    for period, row in rows.items():
        mine = [x for x in payer_report["items"] if x["region"] == "320600" and x["fee_period"] == period]
        for k in ("original_fen", "exempt_fen", "halved_fen", "deferred_fen", *LEDGER):
            assert row[k] == sum(x[k] for x in mine), (period, k)
        assert row["payers"] == len({x["credit_code"] for x in mine})
        assert row["revenue_fen"] == row["paid_fen"] + row["offset_in_fen"] - row["credited_fen"]
    assert rows["2020-03"]["region_name"] == "南通市" and rows["2020-03"]["deferred_payers"] == 1
    assert rows["2020-02"]["revenue_change"] == "—"  # no 2020-01 in the read model
    before, now = rows["2020-02"]["exempt_fen"], rows["2020-03"]["exempt_fen"]
    # March: A's pension, D's monthly work injury and D's project (counted in its first month)
    assert (before, now) == (800_000, 800_000 + 30_000 + PROJECT_RELIEF) and rows["2020-03"]["exempt_change"] == "+128.75%"
    assert rows["2020-03"]["exempt_payers"] == 2
    one_month = await service.client.get(
        "/v1/reports/relief-linkage", params={"region": "320600", "from": "2020-03", "to": "2020-03"}, headers=service.token(*OPS)
    )
    [only] = one_month.json()["items"]
    assert only["fee_period"] == "2020-03" and only["revenue_change"] == rows["2020-03"]["revenue_change"] != "—"


async def test_medical_table_with_the_fund_figures_the_officer_enters(service: Service, story: Story) -> None:
    await service.publish(story)
    await caught_up(service, story)
    officer = service.token("medical_officer", sub="yibao-nantong", region="320600")
    url = "/v1/reports/medical-relief/320600/2020-02"
    before = (await service.client.get(url, headers=officer)).json()["items"][0]
    assert before["fund_entered"] is False and before["fund_balance_fen"] is None
    figures = {"balance_fen": 1_234_567_890, "income_fen": 98_765_432, "spending_fen": 87_654_321, "note": "1月末"}
    r = await service.client.put("/v1/medical-fund/320600/2020-02", json=figures, headers=officer)
    assert r.status_code == 200, r.text
    assert r.json()["recorded_by"] == "yibao-nantong"
    row = (await service.client.get(url, headers=officer)).json()["items"][0]
    assert (row["fund_balance_fen"], row["fund_income_fen"], row["fund_spending_fen"]) == (1_234_567_890, 98_765_432, 87_654_321)
    assert row["documents"] == "苏医保发〔2020〕14号" and row["published"] == "2020-02-28" and row["window"] == "2020-02至2020-06"
    assert (row["rate_before"], row["rate_after"]) == ("0.07", "0.035")
    assert (row["enterprises"], row["employees"], row["enterprises_settled"], row["reduced_fen"]) == (1, 10, 1, 175_000)
    csv = (await service.client.get(url + ".csv", headers=officer)).content.decode("utf-8-sig").splitlines()
    assert csv[0].split(",")[8] == "上月末统筹基金累计结存（万元）"
    assert csv[1].split(",")[8:11] == ["1234.5679", "98.7654", "87.6543"] and csv[1].split(",")[-1] == "0.1750"
    assert csv[1].split(",")[6:8] == ["7%", "3.5%"]
    march = (await service.client.get("/v1/reports/medical-relief/320600/2020-03", headers=officer)).json()["items"][0]
    assert march["enterprises_settled"] == 0 and march["fund_entered"] is False  # the 2020-02 credit was offset from 2020-02
    # the entry is an event of reporting's own, on its own stream
    async with service.app.state.sessions() as session:
        version = await service.app.state.runtime.store.version(session, "medical-fund-320600-2020-02")
    assert version == 1


async def test_dashboard_json_refunds_by_status_and_disputes_by_age(service: Service, story: Story) -> None:
    await service.publish(story)
    await caught_up(service, story)
    refunds = (await service.client.get("/v1/dashboard/refunds-by-status", headers=service.token(*OPS))).json()["items"]
    assert {x["status"]: (x["refunds"], x["amount_fen"]) for x in refunds if x["refunds"]} == {
        "settled": (2, 800_000 + PROJECT_RELIEF)
    }

    async def dispute_seen() -> dict[str, Any] | None:
        out = (await service.client.get("/v1/dashboard/disputes-by-age", headers=service.token(*OPS))).json()
        return out if out["open"][0]["disputes"] else None

    ages = await service.wait_for(dispute_seen)
    assert ages["open"][0] == {"age_days": "0-7", "disputes": 1, "by_status": {"taken_in": 1}}
    relief = (await service.client.get("/v1/dashboard/relief-by-month", headers=service.token(*OPS))).json()["items"]
    march = {x["kind"]: x for x in relief if x["fee_period"] == "2020-03"}
    # A, C, and D (its monthly work injury and its project's prorated premium, counted in the project's first month)
    assert march["exempt"]["amount_fen"] == 800_000 + 200_000 + 30_000 + PROJECT_RELIEF and march["exempt"]["payers"] == 3
    assert march["halved"]["amount_fen"] == 175_000 + 500_000 and march["deferred"]["amount_fen"] == 500_000
    regional = (
        await service.client.get("/v1/dashboard/relief-by-month", headers=service.token("tax_officer", region="510400"))
    ).json()
    assert {(x["kind"], x["amount_fen"]) for x in regional["items"] if x["amount_fen"]} == {("exempt", 200_000)}


async def test_concurrent_fund_entries_lose_nothing_and_the_latest_counts(service: Service) -> None:
    """Eight officers' entries at once: each is recorded (200) or, after the command was decided
    again a few times, refused as a conflict (409) to be sent again; never lost, never a 500."""
    officer = service.token("medical_officer", region="320500")
    url = "/v1/medical-fund/320500/2020-04"
    answers = await asyncio.gather(
        *(service.client.put(url, json={"balance_fen": n, "income_fen": n, "spending_fen": 0}, headers=officer) for n in range(8))
    )
    codes = [r.status_code for r in answers]
    assert set(codes) <= {200, 409} and codes.count(200) >= 1, [r.text for r in answers]
    async with service.app.state.sessions() as session:
        stream = await service.app.state.runtime.store.load(session, "medical-fund-320500-2020-04")
    assert [m.envelope.streamversion for m in stream] == list(range(1, codes.count(200) + 1))
    recorded = sorted(r.json()["balance_fen"] for r in answers if r.status_code == 200)
    assert sorted(m.event.balance_fen for m in stream) == recorded

    async def settled() -> bool:  # the projection, applying every entry, ends on the last one
        r = await service.client.get(url, headers=officer)
        return bool(r.json()["balance_fen"] == stream[-1].event.balance_fen)

    await service.wait_for(settled)


async def test_the_payer_report_pages_in_its_order_with_the_totals_of_every_line(service: Service, story: Story) -> None:
    await service.publish(story)
    whole = await caught_up(service, story)
    ops, pages, offset = service.token("ops"), [], 0
    while offset is not None:
        r = await service.client.get("/v1/reports/payer-months", params={"offset": offset, "limit": 2}, headers=ops)
        page = r.json()
        assert len(page["items"]) <= 2 and page["totals"] == whole["totals"]
        pages += page["items"]
        offset = page["next_offset"]
    assert pages == whole["items"]
    for column in (c["key"] for c in whole["columns"] if c["kind"] == "yuan"):
        assert whole["totals"][column] == sum(x[column] for x in whole["items"]), column
    download = (await service.client.get("/v1/reports/payer-months.csv", headers=ops)).content.decode("utf-8-sig").splitlines()
    assert len(download) == 1 + len(pages) + 1
