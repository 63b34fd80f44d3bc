"""End to end, issue 6 (企业划型异议): the province's shared data classifies a 南通 enterprise as large
for statistical year 2019, so its 2020-02 … 06 contributions are assessed with the employer part of
pension halved (人社部发〔2020〕11号, extended to June by 49号), and it pays them in full through its
bank. It disputes its size; the city social-insurance centre takes the dispute in, the statistics
bureau, HR and 经信 each record an opinion, the statistics bureau upholds it, HR reports to the
province and the province records its correction to small. relief-calc reassesses February … June
to exempt; the refund service credits the difference per month, refunds February's ex officio
(税总函〔2020〕33号) through the bank simulator once approved, and holds the other months as credits
to offset against later dues. Declaration, relief-calc, classification, refund and the bank
simulator run as their own processes, on PostgreSQL and a real Kafka broker.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from eventkit.web.tokens import issue_token
from refdata.codes import make_credit_code

from .platform import call, eventually, running_platform

PERIODS = ("2020-02", "2020-03", "2020-04", "2020-05", "2020-06")
NAME = "南通某某重工机械有限公司"
ACCOUNT = "6222020200007654321"
REPORT = b"%PDF-1.4 2019 annual statistical report: 250 staff, revenue 15000 (10k yuan)"
# Each month: 10 staff on a base of 5,000 yuan (5,000,000 fen in all). Pension 16 % + 8 %; 南通
# medical 7 % + 2 % (DOMAIN.md §3).
PENSION_EMPLOYER, PENSION_INDIVIDUAL = 800_000, 400_000
MEDICAL_EMPLOYER, MEDICAL_INDIVIDUAL = 350_000, 100_000


@pytest.fixture
def platform(pg_server_url: str, kafka_bootstrap: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    # relief-calc with the policies it ships (11号, 49号, 江苏 medical, …), all in force from the start
    with running_platform(pg_server_url, kafka_bootstrap, tmp_path) as p:
        yield {"decl": p.decl, "rc": p.rc, "cls": p.cls, "refund": p.refund, "bank": p.bank, "private": p.private}


def test_a_large_enterprise_corrected_to_small_is_reassessed_exempt_and_credited(platform: dict[str, Any]) -> None:
    decl, rc, cls, refund, bank = (platform[k] for k in ("decl", "rc", "cls", "refund", "bank"))
    private = platform["private"]
    run = uuid.uuid4().int
    code = make_credit_code(f"91320600MA{run % 10**4:04d}DQP")
    stranger = make_credit_code(f"91320600MA{(run // 10**4) % 10**4:04d}XYW")

    def token(sub: str, *roles: str, **claims: Any) -> str:
        return issue_token(private, sub, list(roles), ttl_s=3600, **claims)

    admin = token("tax-bureau", "admin")
    payer = token("payer-user", "payer", payer=code)
    other_payer = token("other-payer-user", "payer", payer=stranger)
    province = token("prov-1", "province_officer")
    approver = token("approver-1", "refund_approver")

    registration = {
        "credit_code": code, "name": NAME, "unit_type": "enterprise", "region": "320600",
        "industry": {"section": "C", "division": "34"}, "work_injury": {"risk_class": 2},
        "enrollments": [{"insurance": "pension", "since": "2015-01-01"}, {"insurance": "medical", "since": "2015-01-01"}],
    }  # fmt: skip
    assert call("POST", decl.url + "/v1/payers", admin, registration)[0] == 201

    # ---- The province's shared data for statistical year 2019: the payer is large -------------------
    csv = f"credit_code,name,industry,size,statistical_year,source_version\n{code},{NAME},C34,large,2019,苏统2020-01\n"
    status, preview = _upload(cls.url + "/v1/size-imports:preview", province, csv.encode())
    assert status == 200, preview
    assert (preview["summary"]["new"], preview["summary"]["errors"], preview["summary"]["flagged"]) == (1, 0, 0), preview
    status, applied = _upload(cls.url + "/v1/size-imports?file_name=js-2019.csv", province, csv.encode())
    assert status == 201 and applied["import_id"] == preview["import_id"], applied

    def size(period: str, expect: str) -> Any:
        status, out = call("GET", f"{cls.url}/v1/payers/{code}/size?period={period}", payer)
        return out if status == 200 and out["size"] == expect else None

    imported = eventually(lambda: size("2020-02", "large"), "the imported size in force")
    assert imported["periods"] == {"first": "2020-01", "last": "2020-12"}  # year 2019 governs the 2020 fee periods
    assert (imported["source"]["kind"], imported["source"]["statistical_year"]) == ("import", 2019)

    # ---- February … June declared, assessed for a large enterprise ----------------------------------
    for period in PERIODS:
        lines = [{"insurance": i, "headcount": 10, "base_fen": 5_000_000} for i in ("pension", "medical")]
        status, out = call("POST", f"{decl.url}/v1/payers/{code}/declarations", payer, {"fee_period": period, "lines": lines})
        assert status == 201, out

    def liability(period: str, size_source: str) -> Any:
        status, out = call("GET", f"{rc.url}/v1/payers/{code}/liabilities/{period}", payer)
        li = out.get("liability") if status == 200 else None
        return out if li and li["inputs"]["size_source"] == size_source else None

    def lines_of(li: dict[str, Any]) -> dict[str, tuple[str, int, int, int]]:
        return {
            x["insurance"]: (x["relief"], x["employer_original_fen"], x["employer_payable_fen"], x["individual_fen"])
            for x in li["lines"]
        }

    for period in PERIODS:
        li = eventually(lambda p=period: liability(p, "assigned"), f"{period} assessed as large")["liability"]
        assert (li["status"], li["size_used"], li["inputs"]["size"]) == ("final", "large", "large")
        # 11号 as extended by 49号: large enterprises halved 2020-02 … 06 outside Hubei; 江苏 medical
        # halved 2020-02 … 06 whatever the size (苏医保发〔2020〕14号). Individual parts in full.
        assert lines_of(li) == {
            "pension": ("halved", PENSION_EMPLOYER, PENSION_EMPLOYER // 2, PENSION_INDIVIDUAL),
            "medical": ("halved", MEDICAL_EMPLOYER, MEDICAL_EMPLOYER // 2, MEDICAL_INDIVIDUAL),
        }, period
        assert _rule(li, "pension") == "others-halved", period  # 11号 第一条: 大型企业等其他参保单位

    pension_due = PENSION_EMPLOYER // 2 + PENSION_INDIVIDUAL  # 800,000
    medical_due = MEDICAL_EMPLOYER // 2 + MEDICAL_INDIVIDUAL  # 275,000
    month_due = pension_due + medical_due

    def ledger() -> dict[str, Any]:
        status, out = call("GET", f"{refund.url}/v1/payers/{code}/ledger", payer)
        return out if status == 200 else {}

    def statement() -> dict[tuple[str, str, str], dict[str, Any]]:
        status, out = call("GET", f"{refund.url}/v1/payers/{code}/ledger/statement", payer)
        return {(x["fee_period"], x["insurance"], x["part"]): x for x in out["items"]} if status == 200 else {}

    eventually(lambda: ledger().get("totals", {}).get("due_fen") == 5 * month_due, "the five months' dues on the ledger")

    # ---- The payer pays every month's dues at its bank; the bank notifies the refund service ----------
    for period in PERIODS:
        for insurance, fen in (("pension", pension_due), ("medical", medical_due)):
            payment = {
                "amount_fen": fen, "payer_name": NAME, "payer_account": ACCOUNT,
                "credit_code": code, "fee_period": period, "insurance": insurance,
            }  # fmt: skip
            status, booked = call("POST", bank.url + "/simulate/payment", admin, payment)
            assert status == 200, booked
    paid = eventually(lambda: (led := ledger()) and led["totals"]["paid_fen"] == 5 * month_due and led, "the payments")
    assert (paid["totals"]["balance_fen"], paid["totals"]["credited_fen"], paid["credits"], paid["balanced"]) == (0, 0, [], True)

    # ---- 企业划型异议: filed by the payer, with evidence -------------------------------------------------
    filing = {
        "credit_code": code,
        "statistical_year": 2019,
        "claimed_size": "small",
        "evidence": {"industry": "C34", "headcount": 250, "revenue": "15000", "assets": "9000"},
        "reason": "2019年从业人员250人、营业收入1.5亿元，按国统字〔2017〕213号应为小型企业",
        "documents": [
            {"name": "2019年报.pdf", "media_type": "application/pdf", "content_base64": base64.b64encode(REPORT).decode()}
        ],
    }
    began = datetime.now(UTC)
    assert call("POST", cls.url + "/v1/disputes", other_payer, filing)[0] == 403  # a payer files for itself only
    status, filed = call("POST", cls.url + "/v1/disputes", payer, filing, **{"Idempotency-Key": "file-1"})
    assert status == 201, filed
    assert (filed["status"], filed["current_size"], filed["claimed_size"], filed["standard_size"]) == (
        "filed",
        "large",
        "small",
        "small",
    )
    assert filed["periods"] == {"first": "2020-01", "last": "2020-12"}
    assert [d["sha256"] for d in filed["documents"]] == [hashlib.sha256(REPORT).hexdigest()]
    dispute = f"{cls.url}/v1/disputes/{filed['dispute_id']}"
    assert call("GET", dispute, other_payer)[0] == 403  # another enterprise cannot read it

    def step(path: str, sub: str, role: str, body: dict[str, Any], expect: str) -> dict[str, Any]:
        status, out = call("POST", f"{dispute}/{path}", token(sub, role), body, **{"Idempotency-Key": f"{path}-{sub}"})
        assert status == 200 and out["status"] == expect, (path, status, out)
        return out  # type: ignore[no-any-return]

    step("intake", "centre-1", "insurance_centre", {"note": "材料齐全，予以受理"}, "under_review")
    step("opinions", "stats-1", "stats_reviewer", {"finds_size": "small", "opinion": "核实2019年报：小型"}, "under_review")
    step("opinions", "hr-1", "hr_reviewer", {"finds_size": "small", "opinion": "参保人数250人，同意小型"}, "under_review")
    step("opinions", "econ-1", "econ_reviewer", {"finds_size": "small", "opinion": "同意统计局意见"}, "opinions_complete")
    decided = step("decision", "stats-lead", "stats_reviewer", {"outcome": "upheld", "reasons": "三部门意见一致：小型"}, "upheld")
    assert decided["decided_size"] == "small"
    step("province-report", "hr-1", "hr_reviewer", {"reference": "通人社〔2020〕21号"}, "reported")
    corrected = step("correction", "prov-1", "province_officer", {"reference": "苏统更〔2020〕7号"}, "corrected")
    assert corrected["due"] is None

    in_force = eventually(lambda: size("2020-02", "small"), "the corrected size in force")
    assert (in_force["source"]["kind"], in_force["source"]["dispute_id"]) == ("correction", filed["dispute_id"])

    # The dispute's history, as the payer follows it: every step, who, in which role, and when.
    status, history = call("GET", dispute, payer)
    assert status == 200 and history["status"] == "corrected", history
    assert [(s["type"], s["by"], s["role"]) for s in history["steps"]] == [
        ("DisputeFiled", "payer-user", "payer"),
        ("DisputeTakenIn", "centre-1", "insurance_centre"),
        ("OpinionRecorded", "stats-1", "stats_reviewer"),
        ("OpinionRecorded", "hr-1", "hr_reviewer"),
        ("OpinionRecorded", "econ-1", "econ_reviewer"),
        ("DisputeDecided", "stats-lead", "stats_reviewer"),
        ("DisputeReported", "hr-1", "hr_reviewer"),
        ("DisputeCorrected", "prov-1", "province_officer"),
    ]
    times = [datetime.fromisoformat(s["at"]) for s in history["steps"]]
    assert times == sorted(times) and began <= times[0] and times[-1] <= datetime.now(UTC)
    assert call("GET", dispute, other_payer)[0] == 403

    # ---- relief-calc reassesses February … June: exempt, for the size ----------------------------------
    for period in PERIODS:
        out = eventually(lambda p=period: liability(p, "corrected"), f"{period} reassessed for the correction")
        li = out["liability"]
        assert (li["status"], li["size_used"], li["inputs"]["size"]) == ("final", "small", "small")
        assert lines_of(li) == {
            "pension": ("exempt", PENSION_EMPLOYER, 0, PENSION_INDIVIDUAL),
            "medical": ("halved", MEDICAL_EMPLOYER, MEDICAL_EMPLOYER // 2, MEDICAL_INDIVIDUAL),  # not size-dependent
        }, period
        assert _rule(li, "pension") == "sme-exempt", period
        last = out["history"][-1]
        assert (last["event"], last["reasons"], last["employer_payable_delta_fen"]) == (
            "LiabilityReassessed",
            ["size"],
            -PENSION_EMPLOYER // 2,
        ), period

    # ---- The refund service credits the difference, month by month, to the fen --------------------------
    credit_per_month = PENSION_EMPLOYER // 2  # halved − exempt = 400,000

    def credited() -> Any:
        lines = statement()
        employer = [lines.get((p, "pension", "employer"), {}) for p in PERIODS]
        return lines if all(x.get("due_fen") == 0 and x.get("credited_fen") == credit_per_month for x in employer) else None

    lines = eventually(credited, "the credits of February … June")
    for period in PERIODS:
        assert {k[1:]: (v["due_fen"], v["paid_fen"], v["credited_fen"]) for k, v in lines.items() if k[0] == period} == {
            ("pension", "employer"): (0, credit_per_month, credit_per_month),
            ("pension", "individual"): (PENSION_INDIVIDUAL, PENSION_INDIVIDUAL, 0),
            ("medical", "employer"): (MEDICAL_EMPLOYER // 2, MEDICAL_EMPLOYER // 2, 0),
            ("medical", "individual"): (MEDICAL_INDIVIDUAL, MEDICAL_INDIVIDUAL, 0),
        }, period

    # February's credit is refunded ex officio (税总函〔2020〕33号) to the account the payer paid from.
    def requested() -> Any:
        status, out = call("GET", f"{refund.url}/v1/payers/{code}/refunds", payer)
        return out["items"] if status == 200 and out["items"] else None

    [item] = eventually(requested, "February's ex-officio refund")
    assert (item["status"], item["amount_fen"], item["ex_officio"]) == ("requested", credit_per_month, True), item
    refund_url = f"{refund.url}/v1/payers/{code}/refunds/{item['refund_id']}"
    status, approved = call("POST", refund_url + "/approval", approver, **{"Idempotency-Key": "approve-feb"})
    assert status == 200 and approved["status"] == "approved", approved
    settled = eventually(lambda: (r := call("GET", refund_url, payer)[1]) and r["status"] == "settled" and r, "the settlement")
    assert [h["type"] for h in settled["history"]].count("refund.RefundInstructed") == 1
    status, bank_summary = call("GET", bank.url + "/ledger/summary", admin)
    assert (bank_summary["paid_count"], bank_summary["paid_total_fen"], bank_summary["end_to_end_ids_paid_twice"]) == (
        1,
        credit_per_month,
        0,
    ), bank_summary

    # March … June: settled by offset. With nothing else due they wait as open credits for later dues.
    final = eventually(lambda: (led := ledger()) and led["totals"]["refunded_fen"] == credit_per_month and led, "refunded")
    assert final["balanced"] is True
    assert sorted((c["fee_period"], c["insurance"], c["part"], c["open_fen"], c["settlement"]) for c in final["credits"]) == [
        (p, "pension", "employer", credit_per_month, "offset") for p in PERIODS[1:]
    ]
    totals = final["totals"]
    assert (
        totals["due_fen"],
        totals["paid_fen"],
        totals["credited_fen"],
        totals["refunded_fen"],
        totals["offset_out_fen"],
        totals["outstanding_fen"],
        totals["credit_fen"],
        totals["balance_fen"],
    ) == (
        5 * (month_due - credit_per_month),
        5 * month_due,
        5 * credit_per_month,
        credit_per_month,
        0,
        0,
        4 * credit_per_month,
        -4 * credit_per_month,
    ), totals
    assert statement()[("2020-02", "pension", "employer")]["refunded_fen"] == credit_per_month
    assert call("GET", f"{refund.url}/v1/payers/{code}/ledger", other_payer)[0] == 403

    # ---- Story b (issue 7): the credits settled by offset pay the July dues, oldest credit first ------
    lines = [{"insurance": i, "headcount": 10, "base_fen": 5_000_000} for i in ("pension", "medical")]
    status, out = call("POST", f"{decl.url}/v1/payers/{code}/declarations", payer, {"fee_period": "2020-07", "lines": lines})
    assert status == 201, out
    july = eventually(lambda: liability("2020-07", "corrected"), "July assessed for a small enterprise")["liability"]
    assert lines_of(july) == {
        "pension": ("exempt", PENSION_EMPLOYER, 0, PENSION_INDIVIDUAL),  # 49号: SMEs exempt to December
        "medical": ("none", MEDICAL_EMPLOYER, MEDICAL_EMPLOYER, MEDICAL_INDIVIDUAL),  # 江苏 halved to June only
    }
    july_due = PENSION_INDIVIDUAL + MEDICAL_EMPLOYER + MEDICAL_INDIVIDUAL

    def offset_paid() -> Any:
        led = ledger()
        return led if led.get("totals", {}).get("offset_in_fen") == july_due else None

    after = eventually(offset_paid, "July's dues paid by the offset credits")
    assert (after["totals"]["outstanding_fen"], after["totals"]["credit_fen"], after["balanced"]) == (
        0,
        4 * credit_per_month - july_due,
        True,
    )
    july_lines = {
        k[1:]: (v["due_fen"], v["offset_in_fen"], v["outstanding_fen"]) for k, v in statement().items() if k[0] == "2020-07"
    }
    assert july_lines == {
        ("pension", "individual"): (PENSION_INDIVIDUAL, PENSION_INDIVIDUAL, 0),
        ("medical", "employer"): (MEDICAL_EMPLOYER, MEDICAL_EMPLOYER, 0),
        ("medical", "individual"): (MEDICAL_INDIVIDUAL, MEDICAL_INDIVIDUAL, 0),
    }
    # oldest credit first: March's and April's are used up, May's pays the rest
    open_credits = {c["fee_period"]: c["open_fen"] for c in after["credits"]}
    assert open_credits == {"2020-05": 3 * credit_per_month - july_due, "2020-06": credit_per_month}


def _rule(liability: dict[str, Any], insurance: str) -> str:
    """The policy rule a liability line was assessed under."""
    return next(x["basis"]["rule"] for x in liability["lines"] if x["insurance"] == insurance)  # type: ignore[no-any-return]


def _upload(url: str, token: str, data: bytes) -> tuple[int, Any]:
    """A province file, as the officer's browser uploads it (text/csv)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    request = urllib.request.Request(url, data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")
