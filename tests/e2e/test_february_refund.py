"""End to end, the money of 税总函〔2020〕33号: February 2020 was declared and paid at the full rate
before the relief was published; 人社部发〔2020〕11号 is then published, relief-calc reassesses
February, the refund service credits the excess and refunds it ex officio to the account the payer
paid from; an approver approves; the refund is instructed to the bank simulator and settles; the
ledger balances to the fen. Declaration, relief-calc, refund and the bank simulator run as their
own processes, on PostgreSQL and a real Kafka broker; the payment itself comes from the bank.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from eventkit.web.tokens import issue_token
from refdata.codes import make_credit_code
from relief_calc.domain.policies import default_policy_dir

from .platform import call, eventually, running_platform

# 11号 is published during the test; 49号 and 湖北 build on it, so they are held back too
HELD_BACK = ("mohrss-2020-11.yaml", "mohrss-2020-49.yaml", "hubei-2020.yaml")


@pytest.fixture
def chain(pg_server_url: str, kafka_bootstrap: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    with running_platform(pg_server_url, kafka_bootstrap, tmp_path, held_back=HELD_BACK) as p:
        yield {"decl": p.decl, "rc": p.rc, "refund": p.refund, "bank": p.bank, "private": p.private}


def test_february_paid_at_full_rate_is_refunded_once_the_relief_is_published(chain: dict[str, Any]) -> None:
    decl, rc, refund, bank, private = chain["decl"], chain["rc"], chain["refund"], chain["bank"], chain["private"]
    code = make_credit_code(f"91320600MA{uuid.uuid4().int % 10**4:04d}FEB")
    admin = issue_token(private, "tax-bureau", ["admin"])
    payer = issue_token(private, "payer-user", ["payer"], payer=code)
    officer = issue_token(private, "officer-1", ["tax_officer"])
    approver = issue_token(private, "approver-1", ["refund_approver"])
    registration = {
        "credit_code": code, "name": "南通某某机械有限公司", "unit_type": "enterprise", "region": "320600",
        "industry": {"section": "C", "division": "34"}, "work_injury": {"risk_class": 2},
        "enrollments": [{"insurance": "pension", "since": "2015-01-01"}],
    }  # fmt: skip
    assert call("POST", decl.url + "/v1/payers", admin, registration)[0] == 201
    body = {"fee_period": "2020-02", "lines": [{"insurance": "pension", "headcount": 10, "base_fen": 5_000_000}]}
    assert call("POST", f"{decl.url}/v1/payers/{code}/declarations", payer, body)[0] == 201

    # Assessed at the full rate (no relief published yet): 800,000 employer + 400,000 individual.
    def ledger() -> dict[str, Any]:
        status, out = call("GET", f"{refund.url}/v1/payers/{code}/ledger", payer)
        return out if status == 200 else {}

    eventually(lambda: ledger().get("totals", {}).get("due_fen") == 1_200_000, "February's dues on the ledger")

    # The payer pays at its bank; the bank notifies the refund service (signed camt.054).
    payment = {
        "amount_fen": 1_200_000, "payer_name": "南通某某机械有限公司", "payer_account": "6222020200007654321",
        "credit_code": code, "fee_period": "2020-02", "insurance": "pension",
    }  # fmt: skip
    status, booked = call("POST", bank.url + "/simulate/payment", admin, payment)
    assert status == 200, booked
    paid = eventually(lambda: (led := ledger()) and led["totals"]["paid_fen"] == 1_200_000 and led, "the payment on the ledger")
    assert paid["totals"]["balance_fen"] == 0

    # 人社部发〔2020〕11号 is published: a large enterprise (its size not known yet) is halved in February.
    policy_admin = issue_token(private, "policy-admin", ["policy_admin"])
    document = yaml.safe_load((default_policy_dir() / "mohrss-2020-11.yaml").read_text(encoding="utf-8"))
    document = json.loads(json.dumps(document, default=str))
    status, published = call("POST", rc.url + "/v1/policies", policy_admin, document, **{"Idempotency-Key": "pub-11"})
    assert status == 201 and published["appended"], published

    def reassessed() -> Any:
        status, out = call("GET", f"{rc.url}/v1/payers/{code}/liabilities/2020-02", payer)
        return out if status == 200 and out["version"] >= 2 else None

    february = eventually(reassessed, "February reassessed")["liability"]
    assert [(x["relief"], x["employer_payable_fen"]) for x in february["lines"]] == [("halved", 400_000)]

    # The refund service credits the 400,000 fen and requests its refund ex officio (原路退回).
    def requested() -> Any:
        status, out = call("GET", f"{refund.url}/v1/payers/{code}/refunds", payer)
        return out["items"] if status == 200 and out["items"] else None

    [item] = eventually(requested, "the ex-officio refund")
    assert (item["status"], item["amount_fen"], item["ex_officio"]) == ("requested", 400_000, True)
    refund_url = f"{refund.url}/v1/payers/{code}/refunds/{item['refund_id']}"
    assert call("POST", refund_url + "/approval", officer)[0] == 403  # officers do not approve refunds
    status, approved = call("POST", refund_url + "/approval", approver, **{"Idempotency-Key": "approve-1"})
    assert status == 200 and approved["status"] == "approved", approved

    settled = eventually(lambda: (r := call("GET", refund_url, payer)[1]) and r["status"] == "settled" and r, "the settlement")
    assert [h["type"] for h in settled["history"]].count("refund.RefundInstructed") == 1
    final = ledger()
    assert final["balanced"] is True
    totals = final["totals"]
    assert (totals["due_fen"], totals["paid_fen"], totals["refunded_fen"], totals["balance_fen"]) == (
        800_000,
        1_200_000,
        400_000,
        0,
    )
    status, summary = call("GET", bank.url + "/ledger/summary", admin)
    assert (summary["paid_count"], summary["paid_total_fen"], summary["end_to_end_ids_paid_twice"]) == (1, 400_000, 0), summary
