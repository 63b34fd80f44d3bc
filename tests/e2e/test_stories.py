"""The relief stories of issue 7 that turn on who the payer is and where (DOMAIN.md §2.1, §2.2),
through the whole platform as real processes (tests/e2e/platform.py): the province's size data
through the classification service, declarations through the declaration service, the assessment
read back from relief-calc over REST."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from refdata.codes import make_credit_code

from .platform import Platform, running_platform

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
