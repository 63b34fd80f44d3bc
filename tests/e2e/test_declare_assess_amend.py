"""End to end, as users drive it: a payer declares through the declaration service; relief-calc
assesses from the log and answers over REST; a policy admin then publishes a policy that reaches
back (人社部发〔2020〕49号, published at the end of June 2020) and the payer-periods it touches are
reassessed with their deltas; a size classification arriving later turns the provisional
assessment final. Both services run as real processes on PostgreSQL, with a real Kafka broker.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from declaration.adapters.tables import kernel as decl_kernel
from declaration.service import DEFINITION as DECL
from devstack.ports import free_port
from eventkit.crypto import Keyring
from eventkit.events import new_envelope
from eventkit.kafka import TopicSpec
from eventkit.testing.offsets import start_groups_at_end
from eventkit.testing.proofs import produce
from eventkit.testing.server import ServiceProcess
from eventkit.web.signature import sign
from eventkit.web.tokens import generate_keypair, issue_token
from iso20022 import DebitCreditNotification, Entry, Party, PaymentRemittance
from refdata.codes import make_credit_code
from refund.adapters.tables import kernel as refund_kernel
from refund.service import DEFINITION as REFUND
from relief_calc.adapters.tables import kernel as rc_kernel
from relief_calc.domain.policies import default_policy_dir
from relief_calc.service import DEFINITION as RC

from .platform import call, eventually

SIZE_ASSIGNED = "relief.classification.EnterpriseSizeAssigned.v1"
BANK_SECRET = "e2e-bank-secret"


def bank_pays(url: str, code: str, reference: str, fen: int, value_date: date, period: str) -> list[Any]:
    """The bank's signed camt.054 callback: the payer paid ``fen`` for ``period``'s pension."""
    entry = Entry(
        bank_reference=reference,
        amount_fen=fen,
        credit_debit="CRDT",
        booking_date=value_date,
        value_date=value_date,
        end_to_end_id="NOTPROVIDED",
        debtor=Party(name="南通某某机械有限公司", account="6222020200001234567"),
        remittance=PaymentRemittance(credit_code=code, fee_period=period, insurance="pension").text(),
    )
    body = DebitCreditNotification(
        message_id=f"NTF-{reference}",
        created_at=datetime(value_date.year, value_date.month, value_date.day, 10, tzinfo=UTC),
        notification_id="N1",
        account="3206000000000001",
        entries=(entry,),
    ).to_xml()
    headers = {"Content-Type": "application/xml", "X-Bank-Signature": sign(BANK_SECRET.encode(), body)}
    request = urllib.request.Request(url + "/v1/bank/notifications", data=body, method="POST", headers=headers)
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())["entries"]  # type: ignore[no-any-return]


@pytest.fixture
def services(new_pg_database: Callable[[str], str], kafka_bootstrap: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    run = uuid.uuid4().hex[:8]
    decl_db, rc_db, refund_db = (new_pg_database(f"e2e_{name}") for name in ("decl", "rc", "refund"))
    private, public = generate_keypair()
    (tmp_path / "jwt.pem").write_text(public)
    Keyring.write_new(tmp_path / "data.key")
    policies = tmp_path / "policies"  # the shipped policies, except 49号: it is published later
    shutil.copytree(default_policy_dir(), policies)
    (policies / "mohrss-2020-49.yaml").unlink()
    common = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "AUTH_JWT_PUBLIC_KEY_FILE": str(tmp_path / "jwt.pem")}
    decl = ServiceProcess(
        "declaration",
        {**common, "DECLARATION_DATABASE_URL": decl_db, "DECLARATION_DATA_KEY_FILE": str(tmp_path / "data.key")},
        free_port(),
        tmp_path / "declaration.log",
    )
    rc = ServiceProcess(
        "relief-calc",
        {**common, "RELIEF_CALC_DATABASE_URL": rc_db, "RELIEF_CALC_POLICY_DIR": str(policies)},
        free_port(),
        tmp_path / "relief-calc.log",
    )
    refund = ServiceProcess(
        "refund",
        {
            **common,
            "REFUND_DATABASE_URL": refund_db,
            "REFUND_DATA_KEY_FILE": str(tmp_path / "data.key"),
            "REFUND_BANK_CALLBACK_SECRET": BANK_SECRET,
        },
        free_port(),
        tmp_path / "refund.log",
    )
    decl.run("migrate")
    rc.run("migrate")
    refund.run("migrate")
    # The shared broker holds earlier tests' declarations and policies: read only this test's.
    inputs = [TopicSpec(t, 12) for t in ("declaration.events", "classification.events", "relief.events", "refund.events")] + [
        TopicSpec("policy.events", 1)
    ]
    groups = RC.subscriptions()
    asyncio.run(start_groups_at_end(rc_db, kafka_bootstrap, rc_kernel, groups, inputs))
    decl_topics = [TopicSpec(t, 12) for t in ("declaration.events", "relief.events")]
    decl_groups = DECL.subscriptions()
    asyncio.run(start_groups_at_end(decl_db, kafka_bootstrap, decl_kernel, decl_groups, decl_topics))
    refund_groups = REFUND.subscriptions()
    asyncio.run(
        start_groups_at_end(
            refund_db,
            kafka_bootstrap,
            refund_kernel,
            refund_groups,
            [TopicSpec("relief.events", 12), TopicSpec("refund.events", 12)],
        )
    )
    try:
        decl.start()
        rc.start()
        refund.start()
        yield {"decl": decl, "rc": rc, "refund": refund, "private": private, "run": run, "bootstrap": kafka_bootstrap}
    finally:
        refund.stop()
        rc.stop()
        decl.stop()


def test_declare_assess_then_a_late_policy_and_a_size_reassess(services: dict[str, Any]) -> None:
    decl, rc, private = services["decl"], services["rc"], services["private"]
    admin = issue_token(private, "tax-bureau", ["admin"], ttl_s=3600)
    code = make_credit_code(f"91320600MA{int(services['run'], 16) % 10**4:04d}E2E")
    other = make_credit_code("91320600MA0000999")
    payer_token = issue_token(private, "payer-user", ["payer"], payer=code, ttl_s=3600)
    policy_admin = issue_token(private, "policy-admin", ["policy_admin"], ttl_s=3600)
    payer = {
        "credit_code": code,
        "name": "南通某某机械有限公司",
        "unit_type": "enterprise",
        "region": "320600",
        "industry": {"section": "C", "division": "34"},
        "work_injury": {"risk_class": 2},
        "enrollments": [{"insurance": "pension", "since": "2015-01-01"}],
    }
    assert call("POST", decl.url + "/v1/payers", admin, payer)[0] == 201
    for period in ("2020-03", "2020-05"):
        body = {"fee_period": period, "lines": [{"insurance": "pension", "headcount": 10, "base_fen": 5_000_000}]}
        status, out = call("POST", f"{decl.url}/v1/payers/{code}/declarations", payer_token, body)
        assert status == 201, out

    def liability(period: str, version: int) -> Any:
        status, out = call("GET", f"{rc.url}/v1/payers/{code}/liabilities/{period}", payer_token)
        return out if status == 200 and out["version"] >= version else None

    # Size not known yet: assessed as large, provisionally. Under 11号 alone, large enterprises are
    # halved for 2020-02 … 04 only: March halved, May not relieved.
    march = eventually(lambda: liability("2020-03", 1), "March assessed")["liability"]
    may = eventually(lambda: liability("2020-05", 1), "May assessed")["liability"]
    assert (march["status"], march["size_used"]) == ("provisional", "large")
    assert [
        (x["relief"], x["employer_original_fen"], x["employer_payable_fen"], x["individual_fen"]) for x in march["lines"]
    ] == [("halved", 800_000, 400_000, 400_000)]
    assert march["lines"][0]["basis"]["policy"] == "mohrss-2020-11"
    assert [(x["relief"], x["employer_payable_fen"]) for x in may["lines"]] == [("none", 800_000)]
    assert may["inputs"]["declaration_revision"] == 1 and may["inputs"]["size"] is None

    # A payer reads only its own liabilities.
    assert call("GET", f"{rc.url}/v1/payers/{other}/liabilities/2020-05", payer_token)[0] == 403
    assert call("POST", rc.url + "/v1/policies", payer_token, {})[0] == 403

    # 试算 follows the policies the service has published.
    may_preview = {
        "payer": {"unit_type": "enterprise", "region": "320600", "size": "large"},
        "fee_period": "2020-05",
        "lines": [{"insurance": "pension", "base_fen": 5_000_000}],
    }
    assert call("POST", rc.url + "/v1/liabilities/preview", payer_token, may_preview)[1]["lines"][0]["relief"] == "none"

    # 49号 published at the end of June reaches back: May becomes halved, with the delta.
    document = yaml.safe_load((default_policy_dir() / "mohrss-2020-49.yaml").read_text(encoding="utf-8"))
    document = json.loads(json.dumps(document, default=str))  # dates as ISO strings, as a client sends them
    status, published = call("POST", rc.url + "/v1/policies", policy_admin, document, **{"Idempotency-Key": "pub-49"})
    assert status == 201 and published["appended"], published
    again = call("POST", rc.url + "/v1/policies", policy_admin, document, **{"Idempotency-Key": "pub-49-bis"})
    assert again[0] == 200 and again[1]["appended"] is False  # the same content: nothing new

    reassessed = eventually(lambda: liability("2020-05", 2), "May reassessed")
    assert call("POST", rc.url + "/v1/liabilities/preview", payer_token, may_preview)[1]["lines"][0]["relief"] == "halved"
    last = reassessed["history"][-1]
    assert (last["event"], last["reasons"], last["employer_payable_delta_fen"]) == ("LiabilityReassessed", ["policies"], -400_000)
    assert [(x["relief"], x["employer_payable_fen"], x["individual_fen"]) for x in reassessed["liability"]["lines"]] == [
        ("halved", 400_000, 400_000)
    ]
    assert {p["id"] for p in reassessed["liability"]["inputs"]["policies"]} >= {"mohrss-2020-11", "mohrss-2020-49"}
    # The same progress from the command line (what an operator runs after a publication).
    watched = subprocess.run(
        [
            str(Path(sys.executable).parent / "relief-calc"),
            "reassessments",
            published["reassessment_job"],
            "--watch",
            "--no-progress",
        ],
        env=rc.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert watched.returncode == 0, watched.stderr[-2000:]
    assert [(j["job_id"], j["done"]) for j in json.loads(watched.stdout)["reassessments"]] == [
        (published["reassessment_job"], True)
    ]
    job = eventually(
        lambda: (r := call("GET", f"{rc.url}/v1/reassessments/{published['reassessment_job']}", admin))[0] == 200
        and r[1]["done"]
        and r[1],
        "reassessment job done",
    )
    assert job["total"] >= 2  # both declared periods lie in the window 49号 may touch

    # What was assessed with what was known then: before the publication, May was not relieved.
    before = reassessed["history"][0]["at"]
    status, then = call("GET", f"{rc.url}/v1/payers/{code}/liabilities/2020-05?as_known_at={before.replace('+', '%2B')}", admin)
    assert status == 200 and then["version"] == 1 and then["liability"]["lines"][0]["relief"] == "none"

    # 滞纳金 on May ten days after its due day (the 25th in 江苏): 0.05 % a day of each unpaid part,
    # against the refund service's ledger (nothing paid yet).
    def late_fee(payments: int) -> Any:
        status, fee = call("GET", f"{rc.url}/v1/payers/{code}/liabilities/2020-05/late-fee?on=2020-06-04", payer_token)
        assert status == 200, fee
        return fee if len(fee["payments"]) == payments else None

    fee = late_fee(0)
    assert (fee["due_date"], fee["unpaid_fen"], fee["late_fee_fen"], fee["paid_source"]) == (
        "2020-05-25",
        800_000,
        4_000,
        "ledger",
    )
    # The bank notifies the refund service that the payer paid May's employer pension on 05-30, five
    # days late (once the ledger holds May's dues as reassessed); relief-calc counts it from refund.events.
    refund = services["refund"]

    def may_due() -> bool:
        status, out = call("GET", f"{refund.url}/v1/payers/{code}/ledger/statement", payer_token)
        lines = (
            {(x["fee_period"], x["insurance"], x["part"]): x["due_fen"] for x in out.get("items", [])} if status == 200 else {}
        )
        return lines.get(("2020-05", "pension", "employer")) == 400_000

    eventually(may_due, "the ledger holds May's reassessed dues")
    paid = bank_pays(refund.url, code, f"BK{services['run']}", 400_000, date(2020, 5, 30), "2020-05")
    assert [e["outcome"] for e in paid] == ["recorded"], paid
    fee = eventually(lambda: late_fee(1), "the payment reached relief-calc")
    assert [(p["kind"], p["on"], p["part"], p["amount_fen"]) for p in fee["payments"]] == [
        ("payment", "2020-05-30", "employer", 400_000)
    ]
    # employer: 400,000 overdue 05-26 … 05-30 (1,000); individual: 400,000 for ten days (2,000)
    assert (fee["unpaid_fen"], fee["late_fee_fen"], [x["late_fee_fen"] for x in fee["lines"]]) == (400_000, 3_000, [1_000, 2_000])
    assert call("GET", f"{rc.url}/v1/payers/{code}/liabilities/2020-05/late-fee?on=someday", payer_token)[0] == 422

    # The province classifies the payer as small for 2020: exempt, final, for both periods.
    assigned = _size_assigned(code, "small", "2020-01", "2020-12")
    asyncio.run(produce(services["bootstrap"], "classification.events", [assigned]))
    for period, version in (("2020-03", 3), ("2020-05", 3)):  # v2 of March: 49号 joined its inputs (no delta)
        out = eventually(lambda p=period, v=version: liability(p, v), f"{period} reassessed for the size")
        li = out["liability"]
        assert (li["status"], li["size_used"], li["inputs"]["size"], li["inputs"]["size_source"]) == (
            "final",
            "small",
            "small",
            "assigned",
        )
        assert [(x["relief"], x["employer_payable_fen"], x["individual_fen"]) for x in li["lines"]] == [("exempt", 0, 400_000)]
        assert out["history"][-1]["reasons"] == ["size"]

    def listing() -> Any:
        status, out = call("GET", f"{rc.url}/v1/payers/{code}/liabilities", payer_token)
        items = out["items"] if status == 200 else []
        return items if items and all(i["status"] == "final" for i in items) else None

    # The declaration service shows the assessed liability beside each declaration.
    def declared(period: str) -> Any:
        status, out = call("GET", f"{decl.url}/v1/payers/{code}/declarations/{period}", payer_token)
        a = out.get("assessment") if status == 200 else None
        return a if a and a["status"] == "assessed" and a["employer_payable_fen"] == 0 else None

    for period in ("2020-03", "2020-05"):
        shown = eventually(lambda p=period: declared(p), f"declaration {period} shows the final assessment")
        assert (shown["revision_assessed"], shown["employer_relief_fen"], shown["individual_fen"]) == (1, 800_000, 400_000)
    # The refund service's ledger follows the liabilities: every due as it now stands (the
    # employer parts relieved to nothing, the individual parts unchanged); May's payment, no longer
    # owed, became a credit that paid March's individual part by offset.

    def ledger() -> Any:
        status, out = call("GET", f"{refund.url}/v1/payers/{code}/ledger/statement", payer_token)
        lines = (
            {(x["fee_period"], x["insurance"], x["part"]): x["due_fen"] for x in out.get("items", [])} if status == 200 else {}
        )
        return lines if lines.get(("2020-05", "pension", "employer"), -1) == 0 and len(lines) == 4 else None

    assert eventually(ledger, "the ledger holds the final dues") == {
        ("2020-03", "pension", "employer"): 0,
        ("2020-03", "pension", "individual"): 400_000,
        ("2020-05", "pension", "employer"): 0,
        ("2020-05", "pension", "individual"): 400_000,
    }
    status, book = call("GET", f"{refund.url}/v1/payers/{code}/ledger", payer_token)
    assert (
        status == 200
        and book["balanced"]
        and book["totals"]["due_fen"] == 800_000
        and book["totals"]["paid_fen"] == 400_000
        and book["totals"]["outstanding_fen"] == 400_000
    ), book
    assert call("GET", f"{refund.url}/v1/payers/{other}/ledger", payer_token)[0] == 403
    # relief-calc sees the offset as March's individual part paid on the day it was applied.
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()

    def march_offset() -> Any:
        status, fee = call("GET", f"{rc.url}/v1/payers/{code}/liabilities/2020-03/late-fee?on={tomorrow}", payer_token)
        return status == 200 and [p["kind"] for p in fee["payments"]] == ["offset"] and fee

    march = eventually(march_offset, "the offset reached relief-calc")
    assert [(p["part"], p["amount_fen"]) for p in march["payments"]] == [("individual", 400_000)]
    assert (march["unpaid_fen"], march["paid_fen"]) == (0, 400_000)
    items = eventually(listing, "the read model caught up")
    assert [(i["fee_period"], i["status"], i["employer_payable_fen"]) for i in items] == [
        ("2020-03", "final", 0),
        ("2020-05", "final", 0),
    ]


def _size_assigned(code: str, size: str, first: str, last: str) -> Any:
    """The event the classification service emits (its contract: contracts/events/)."""
    from classification.domain.events import EnterpriseSizeAssigned, PeriodRange

    event = EnterpriseSizeAssigned(
        credit_code=code,
        size=size,
        statistical_year=2019,
        periods=PeriodRange(first=first, last=last),
        source_version="js-2020-01",
        import_id="import-e2e",
    )
    return new_envelope(event, source="/relief/classification", subject=code, stream_id=f"size-{code}", stream_version=1)
