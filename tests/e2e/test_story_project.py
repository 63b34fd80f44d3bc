"""End to end, issue 7 story g: a construction project started 2020-03-01 with a small general
contractor gets its prorated premium refunded (工程建设项目按项目参保, DOMAIN.md §2.5).

The contractor declares two projects insured per project at the declaration service; relief-calc
assesses them before the construction-project policy is known (no relief: the whole premium is
due); the contractor pays both premiums in full at its bank (the bank simulator notifies the refund
service, camt.054, remittance `/USCC/<code>/PRJ/<project>`). The policy is then published: the
project started 2020-03-01 is reassessed to its prorated relief, the refund service credits the
project's own account by exactly that amount and refunds it ex officio; an approver approves; the
bank simulator pays it (pain.001 → pain.002). The project started before 2020-02-01 gets nothing.
Then the reporting service's reports equal the refund ledger's statement to the fen, each project
on a line of its own in its first fee period, its premium, relief and payable as relief-calc
assessed them. Every service is a process on PostgreSQL and a real Kafka broker.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from refdata.codes import make_credit_code

from .platform import Platform, call, eventually, running_platform

PROJECT_POLICY = "construction-projects-2020.yaml"

# The premium: contract price 8,000,000.00 元 × 1.5 ‰ = 12,000.00 元 = 1,200,000 fen.
PREMIUM = 1_200_000
# The relief, by hand: the contractor is small (an SME). 人社部发〔2020〕11号 exempts SMEs' work
# injury for fee periods 2020-02 … 2020-06 and 49号 extends that to 2020-12. The 12 planned months
# run 2020-03 … 2021-02; of them 2020-03, 04, 05, 06, 07, 08, 09, 10, 11, 12 are exempt: 10 months.
# relief = 1,200,000 × 10 / 12 = 1,000,000 fen exactly; payable 200,000 fen.
RELIEF = PREMIUM * 10 // 12
assert RELIEF == 1_000_000
# A project started 2020-01-15: before 2020-02-01, no relief at all (400,000,000 fen × 1.5 ‰).
EARLY_PREMIUM = 600_000


@pytest.fixture
def platform(pg_server_url: str, kafka_bootstrap: str, tmp_path: Path) -> Iterator[Platform]:
    with running_platform(pg_server_url, kafka_bootstrap, tmp_path, held_back=(PROJECT_POLICY,)) as p:
        yield p


def test_a_small_contractors_project_started_in_march_2020_gets_its_prorated_premium_refunded(platform: Platform) -> None:
    p = platform
    code = make_credit_code(f"91320600MA{uuid.uuid4().int % 10**4:04d}PRJ")
    payer = p.token("contractor", "payer", payer=code)
    p.register(code, name="南通某某建设工程有限公司", industry={"section": "E", "division": "48"}, insurances=("work_injury",))
    p.import_sizes((code, "small"))

    projects = {
        "NT-2020-0301": {"started": "2020-03-01", "contract_price_fen": 800_000_000},
        "NT-2020-0115": {"started": "2020-01-15", "contract_price_fen": 400_000_000},
    }
    for project_code, fields in projects.items():
        body = {"project_code": project_code, "name": "南通某某工程", "planned_months": 12, "rate_per_mille": "1.5", **fields}
        status, out = call(
            "POST", f"{p.decl.url}/v1/payers/{code}/projects", payer, body, **{"Idempotency-Key": f"{code}-{project_code}"}
        )
        assert status == 201, out
    assert out["premium_fen"] == EARLY_PREMIUM

    def liability(project_code: str, version: int = 1) -> Any:
        def probe() -> Any:
            status, out = call("GET", f"{p.rc.url}/v1/payers/{code}/projects/{project_code}/liability", payer)
            return out if status == 200 and out["version"] >= version and out["status"] == "final" else None

        return eventually(probe, f"project {project_code} assessed (version {version}, size known)")

    # Without the construction-project policy nothing is relieved: the whole premium is due.
    march = liability("NT-2020-0301")["liability"]
    assert (march["premium_fen"], march["relief_fen"], march["payable_fen"], march["size_used"]) == (PREMIUM, 0, PREMIUM, "small")
    march_version = liability("NT-2020-0301")["version"]
    early_version = liability("NT-2020-0115")["version"]
    eventually(lambda: p.ledger(code).get("totals", {}).get("due_fen") == PREMIUM + EARLY_PREMIUM, "both premiums due")

    # The contractor pays both premiums in full at its bank, each naming its project.
    for project_code, fen in (("NT-2020-0301", PREMIUM), ("NT-2020-0115", EARLY_PREMIUM)):
        payment = {
            "amount_fen": fen, "payer_name": "南通某某建设工程有限公司", "payer_account": "6222020200007654321",
            "credit_code": code, "project_code": project_code,
        }  # fmt: skip
        status, booked = call("POST", p.bank.url + "/simulate/payment", p.token("bank", "admin"), payment)
        assert status == 200 and booked["remittance"] == f"/USCC/{code}/PRJ/{project_code}", booked
    paid = eventually(lambda: (led := p.ledger(code)) and led["totals"]["paid_fen"] == PREMIUM + EARLY_PREMIUM and led, "paid")
    assert paid["totals"]["balance_fen"] == 0 and paid["credits"] == []

    # The construction-project policy is published: the March project is reassessed to its relief.
    p.publish(PROJECT_POLICY, key=f"projects-{code}")
    now = liability("NT-2020-0301", march_version + 1)
    li = now["liability"]
    assert (li["relief"], li["months_exempt"], li["months_halved"]) == ("exempt", 10, 0)
    assert (li["relief_fen"], li["payable_fen"]) == (RELIEF, PREMIUM - RELIEF)
    assert now["history"][-1]["reasons"] == ["policies"] and now["history"][-1]["payable_delta_fen"] == -RELIEF
    assert li["basis"][0] == "construction-projects-2020"
    early = liability("NT-2020-0115", early_version + 1)["liability"]  # its policies changed, not its figures
    assert (early["relief"], early["relief_fen"], early["payable_fen"]) == ("none", 0, EARLY_PREMIUM)

    # The project's credit is refunded ex officio, exactly the relief, to the account it was paid from.
    [item] = eventually(lambda: p.refunds(code) or None, "the ex-officio refund")
    assert (item["status"], item["amount_fen"], item["ex_officio"]) == ("requested", RELIEF, True)
    refund_url = f"{p.refund.url}/v1/payers/{code}/refunds/{item['refund_id']}"
    approver = p.token("approver-1", "refund_approver")
    status, approved = call("POST", refund_url + "/approval", approver, **{"Idempotency-Key": f"approve-{code}"})
    assert status == 200 and approved["status"] == "approved", approved
    settled = eventually(lambda: (r := call("GET", refund_url, payer)[1]) and r["status"] == "settled" and r, "settled")
    assert [h["type"] for h in settled["history"]].count("refund.RefundInstructed") == 1

    final = p.ledger(code)
    assert final["balanced"] is True and final["credits"] == []
    totals = final["totals"]
    assert (totals["due_fen"], totals["paid_fen"], totals["refunded_fen"], totals["balance_fen"]) == (
        PREMIUM - RELIEF + EARLY_PREMIUM, PREMIUM + EARLY_PREMIUM, RELIEF, 0,
    )  # fmt: skip
    status, statement = call("GET", f"{p.refund.url}/v1/payers/{code}/ledger/statement", payer)
    assert status == 200
    by_project = {line["project"]: line for line in statement["items"]}
    assert set(by_project) == {"NT-2020-0301", "NT-2020-0115"}  # each premium on its own account
    assert (by_project["NT-2020-0301"]["refunded_fen"], by_project["NT-2020-0301"]["balance_fen"]) == (RELIEF, 0)
    assert (by_project["NT-2020-0115"]["refunded_fen"], by_project["NT-2020-0115"]["due_fen"]) == (0, EARLY_PREMIUM)
    status, summary = call("GET", p.bank.url + "/ledger/summary", p.token("bank", "admin"))
    assert (summary["paid_count"], summary["paid_total_fen"], summary["end_to_end_ids_paid_twice"]) == (1, RELIEF, 0), summary
    reports_equal_the_ledger(p, code, statement["items"], {"NT-2020-0301": li, "NT-2020-0115": early})


LEDGER = ("due_fen", "paid_fen", "offset_in_fen", "credited_fen", "offset_out_fen", "refunded_fen", "outstanding_fen")


def reports_equal_the_ledger(p: Platform, code: str, items: list[dict[str, Any]], assessed: dict[str, Any]) -> None:
    """reporting: 按月分户 per (month, insurance, project), 免减缓联动 per month and the dashboard's
    relief equal the ledger's statement and relief-calc's project liabilities to the fen."""
    ledger: dict[tuple[str, str, str], dict[str, int]] = {}
    for line in items:  # summed over the parts: the report's grain
        row = ledger.setdefault((line["fee_period"], line["insurance"], line["project"] or ""), dict.fromkeys(LEDGER, 0))
        for k in LEDGER:
            row[k] += line[k]
    ops = p.token("ops-1", "ops")

    def payer_months() -> Any:
        status, out = call("GET", f"{p.reporting.url}/v1/reports/payer-months?credit_code={code}", ops)
        got = {(x["fee_period"], x["insurance"], x["project"]): {k: x[k] for k in LEDGER} for x in out.get("items", ())}
        relieved = any(x["exempt_fen"] for x in out.get("items", ()))
        return out if status == 200 and got == ledger and relieved else None

    report = eventually(payer_months, "the reporting read model equal to the ledger, projects on their own lines")
    for k in LEDGER:
        assert report["totals"][k] == sum(v[k] for v in ledger.values()), k
    for x in report["items"]:
        li = assessed[x["project"]]
        assert (x["fee_period"], x["insurance"], x["original_fen"], x["payable_fen"]) == (
            li["fee_period"], "work_injury", li["premium_fen"], li["payable_fen"],
        )  # fmt: skip
        assert (x["exempt_fen"], x["halved_fen"], x["individual_fen"]) == (li["relief_fen"], 0, 0)
    assert report["totals"]["exempt_fen"] == RELIEF and report["totals"]["original_fen"] == PREMIUM + EARLY_PREMIUM
    status, linkage = call("GET", f"{p.reporting.url}/v1/reports/relief-linkage?region=320600", ops)
    assert status == 200 and {r["fee_period"] for r in linkage["items"]} == {"2020-01", "2020-03"}  # this story only
    for row in linkage["items"]:
        month = [v for (period, _, _), v in ledger.items() if period == row["fee_period"]]
        for k in LEDGER:
            assert row[k] == sum(v[k] for v in month), (row["fee_period"], k)
    march = next(r for r in linkage["items"] if r["fee_period"] == "2020-03")
    assert (march["exempt_fen"], march["exempt_payers"], march["payable_fen"]) == (RELIEF, 1, PREMIUM - RELIEF)
    status, relief = call("GET", f"{p.reporting.url}/v1/dashboard/relief-by-month?region=320600", ops)
    assert {(x["fee_period"], x["kind"]): x["amount_fen"] for x in relief["items"] if x["amount_fen"]} == {
        ("2020-03", "exempt"): RELIEF
    }
