"""The relief stories of issue 7 that turn on who the payer is and where (DOMAIN.md §2.1, §2.2),
and on deferral and the late fee (§2.4, §2.6), through the whole platform as real processes
(tests/e2e/platform.py): the province's size data through the classification service,
declarations through the declaration service, deferral applications reviewed in relief-calc,
payments through the bank simulator into the refund ledger, the assessment and the late fee read
back from relief-calc over REST."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from refdata.codes import make_credit_code

from .platform import Platform, call, eventually, running_platform

INSURANCES = ("pension", "unemployment", "work_injury", "medical", "maternity")


@pytest.fixture(scope="module")
def platform(pg_server_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform(pg_server_url, kafka_bootstrap, tmp_path_factory.mktemp("stories")) as p:
        yield p


def lines(liability: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {x["insurance"]: x for x in liability["lines"]}


def test_d_nantong_sme_march_pays_half_its_medical_full_maternity_and_every_individual_part(platform: Platform) -> None:
    code = make_credit_code(f"91320600MA{uuid.uuid4().int % 10**4:04d}AMD")
    platform.register(code, "320600", insurances=INSURANCES)
    platform.import_sizes((code, "small"))
    platform.declare(code, "2020-03", *INSURANCES)
    li = platform.liability(code, "2020-03")["liability"]
    got = lines(li)
    assert li["size_used"] == "small"
    for insurance in ("pension", "unemployment", "work_injury"):  # 11号 as extended by 49号: SMEs exempt
        x = got[insurance]
        assert (x["relief"], x["employer_payable_fen"]) == ("exempt", 0), insurance
        assert x["employer_original_fen"] > 0 and x["employer_relief_fen"] == x["employer_original_fen"], insurance
    medical = got["medical"]  # 苏医保发〔2020〕14号: the employer part halved, half-up to the fen
    assert medical["relief"] == "halved"
    assert medical["employer_payable_fen"] == (medical["employer_original_fen"] + 1) // 2
    maternity = got["maternity"]  # not reduced, even where merged with medical
    assert (maternity["relief"], maternity["employer_payable_fen"]) == ("none", maternity["employer_original_fen"])
    assert got["pension"]["employer_original_fen"] == 800_000  # 16 % of 5,000,000 fen
    assert (got["pension"]["individual_fen"], got["medical"]["individual_fen"]) == (400_000, 100_000)  # 8 %, 2 %: in full
    assert li["employer_payable_fen"] == medical["employer_payable_fen"] + maternity["employer_payable_fen"]


def test_e_wuhan_large_enterprise_is_exempt_february_to_june_and_pays_in_full_from_july(platform: Platform) -> None:
    code = make_credit_code(f"91420100MA{uuid.uuid4().int % 10**4:04d}WHL")
    platform.register(code, "420100")
    platform.import_sizes((code, "large"))
    for period in ("2020-02", "2020-06", "2020-07"):
        platform.declare(code, period, "pension")
    for period in ("2020-02", "2020-06"):
        li = platform.liability(code, period)["liability"]
        pension = lines(li)["pension"]
        assert (li["size_used"], pension["relief"], pension["employer_payable_fen"]) == ("large", "exempt", 0), period
    july = lines(platform.liability(code, "2020-07")["liability"])["pension"]
    assert (july["relief"], july["employer_payable_fen"]) == ("none", july["employer_original_fen"])


def test_h_a_public_institution_gets_no_relief_anywhere(platform: Platform) -> None:
    code = make_credit_code(f"12320600MB{uuid.uuid4().int % 10**4:04d}PKH")
    platform.register(code, "320600", unit_type="public_institution", insurances=("pension", "medical"))
    for period in ("2020-02", "2020-03", "2020-07"):
        platform.declare(code, period, "pension", "medical")
    for period in ("2020-02", "2020-03", "2020-07"):
        li = platform.liability(code, period)["liability"]
        assert {x["insurance"]: (x["relief"], x["employer_relief_fen"]) for x in li["lines"]} == {
            "pension": ("none", 0),
            "medical": ("none", 0),
        }, period
        assert li["employer_relief_fen"] == 0 and li["employer_payable_fen"] == li["employer_original_fen"]


DEFERRED = ("2020-03", "2020-04", "2020-05", "2020-06", "2020-07", "2020-08")


def _large_payer_declaring_work_injury(platform: Platform, tag: str) -> tuple[str, dict[str, int]]:
    """A large enterprise of 攀枝花 declaring work injury (an employer part only) for March–August,
    its final liabilities recorded as dues on its ledger: (credit code, payable per period)."""
    code = make_credit_code(f"91510400MA{uuid.uuid4().int % 10**4:04d}{tag}")
    platform.register(code, "510400", insurances=("work_injury",), name="攀枝花某某钢铁有限公司")
    platform.import_sizes((code, "large"))
    for period in DEFERRED:
        platform.declare(code, period, "work_injury")
    payable = {}
    for period in DEFERRED:
        li = eventually(
            lambda p=period: (x := platform.liability(code, p)["liability"])["size_used"] == "large" and x,
            f"{code} {period} assessed as large",
        )
        payable[period] = li["employer_payable_fen"]
    assert all(fen > 0 for fen in payable.values()), payable  # halved March–June, in full July–August
    due = sum(payable.values())
    eventually(lambda: platform.ledger(code).get("totals", {}).get("due_fen") == due, f"{code}: dues on the ledger")
    return code, payable


def _late_fee(platform: Platform, code: str, period: str, on: str, *, payments: int, deferred: bool = False) -> dict[str, Any]:
    """The late fee once relief-calc has seen `payments` payments (and the approved deferral, if
    `deferred`: its read model follows the approval within moments)."""
    token = platform.token("p", "payer", payer=code)

    def probe() -> Any:
        status, fee = call("GET", f"{platform.rc.url}/v1/payers/{code}/liabilities/{period}/late-fee?on={on}", token)
        seen = status == 200 and (not deferred or all(x["deferral"] for x in fee["lines"] if x["part"] == "employer"))
        return seen and len(fee["payments"]) == payments and fee

    return eventually(probe, f"{code} {period}: the late fee on {on} with {payments} payment(s)")  # type: ignore[no-any-return]


def _deferral_approved(platform: Platform, code: str) -> dict[str, Any]:
    """March–August deferred by the county's flow (攀枝花 practice): finance, tax and 经信 opinions,
    then the county HR bureau decides."""
    application = {
        "credit_code": code, "region": "510400", "review_level": "county", "first_period": "2020-03",
        "last_period": "2020-08", "insurances": ["pension", "unemployment", "work_injury"],
        "reason": "受疫情影响停产半停产，资金周转困难", "hardship": ["停产或半停产", "已拖欠工资"],
        "evidence": [{"kind": "financial_statement", "title": "2020年一季度财务报表", "reference": "archive-f"}],
    }  # fmt: skip
    status, applied = call("POST", f"{platform.rc.url}/v1/deferrals", platform.token("p", "payer", payer=code), application)
    assert status == 201, applied
    url = f"{platform.rc.url}/v1/deferrals/{applied['application_id']}"
    for role in ("finance_officer", "tax_officer", "econ_officer"):
        body = {"stance": "support", "opinion": f"{role}：经核实企业确有困难，同意缓缴"}
        status, out = call("POST", url + "/opinions", platform.token(f"{role}-1", role), body)
        assert status == 200, out
    body = {"decision": "approve", "opinion": "经审核，符合缓缴条件"}
    status, decided = call("POST", url + "/decision", platform.token("hr-1", "hr_officer"), body)
    assert status == 200 and decided["status"] == "approved", decided
    return decided  # type: ignore[no-any-return]


def _fee(unpaid_fen: int, due: date, paid: date) -> int:
    """社会保险法 第八十六条 by hand: 0.05 % a day from the day after the due date to the day paid."""
    return int((Decimal(unpaid_fen) * (paid - due).days * Decimal("0.0005")).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_f_deferral_march_to_august_paid_in_september_costs_no_late_fee_and_without_it_the_fee_runs_to_the_day(
    platform: Platform,
) -> None:
    deferred, deferred_payable = _large_payer_declaring_work_injury(platform, "DFF")
    plain, plain_payable = _large_payer_declaring_work_injury(platform, "NDF")
    decision = _deferral_approved(platform, deferred)["decision"]
    assert decision["due_date"] == "2020-09-25"  # 缓缴期满后次月: 四川's due day of the month after August

    # Nothing paid by the end of August: the deferred payer owes no late fee yet; the other owes
    # one for every day since each month's own due day (the 25th).
    for period in DEFERRED:
        held = _late_fee(platform, deferred, period, "2020-08-31", payments=0, deferred=True)
        assert (held["unpaid_fen"], held["late_fee_fen"], held["lines"][0]["due_date"]) == (
            deferred_payable[period],
            0,
            "2020-09-25",
        )
        running = _late_fee(platform, plain, period, "2020-08-31", payments=0)
        due = date.fromisoformat(f"{period}-25")
        assert running["late_fee_fen"] == _fee(plain_payable[period], due, date(2020, 8, 31)), period

    # Both pay everything at the bank on 2020-09-20, inside the month after the deferral.
    for code, payable in ((deferred, deferred_payable), (plain, plain_payable)):
        for period, fen in payable.items():
            platform.pay(code, period, "work_injury", fen, on="2020-09-20")
    for period in DEFERRED:
        settled = _late_fee(platform, deferred, period, "2020-12-31", payments=1, deferred=True)
        assert (settled["unpaid_fen"], settled["late_fee_fen"]) == (0, 0), period
        assert settled["payments"][0]["on"] == "2020-09-20"
        late = _late_fee(platform, plain, period, "2020-12-31", payments=1)
        due = date.fromisoformat(f"{period}-25")
        days = (date(2020, 9, 20) - due).days  # March: 179 days, August: 26
        assert late["unpaid_fen"] == 0 and sum(x["days_late"] for x in late["lines"]) == days, period
        assert late["late_fee_fen"] == _fee(plain_payable[period], due, date(2020, 9, 20)) > 0, period
