"""Relief rules of DOMAIN.md §2 through the engine: first and last month of every window, Hubei vs
elsewhere, unit types and sizes, 江苏 medical, the bitemporal 49号 case and the worked examples."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from refdata.enums import Insurance, UnitType
from relief_calc.domain.engine import Line, Payer, assess
from relief_calc.domain.errors import InvalidRequest
from relief_calc.domain.policies import default_policy_dir, load_policies
from relief_calc.domain.policy_model import Relief
from relief_calc.domain.preview import preview

POLICIES = load_policies(default_policy_dir())
THREE = (Insurance.PENSION, Insurance.UNEMPLOYMENT, Insurance.WORK_INJURY)
RATES = {
    Insurance.PENSION: ("0.16", "0.08"),
    Insurance.UNEMPLOYMENT: ("0.005", "0.005"),
    Insurance.WORK_INJURY: ("0.004", "0"),
    Insurance.MEDICAL: ("0.07", "0.02"),
    Insurance.MATERNITY: ("0.005", "0"),
}
NANTONG, SUZHOU, KUNSHAN, WUHAN, YICHANG, CHENGDU, HANGZHOU = "320600", "320500", "320583", "420100", "420500", "510100", "330100"
E, IB, SO, PI, FW = (
    UnitType.ENTERPRISE,
    UnitType.INDIVIDUAL_BUSINESS,
    UnitType.SOCIAL_ORGANIZATION,
    UnitType.PUBLIC_INSTITUTION,
    UnitType.FLEXIBLE_WORKER,
)


def line(insurance: Insurance, base_fen: int = 1_000_000) -> Line:
    employer, individual = RATES[insurance]
    return Line(insurance=insurance, base_fen=base_fen, employer_rate=employer, individual_rate=individual)


def reliefs(unit_type: UnitType, region: str, period: str, size: str | None, insurances=THREE, as_known_at=None) -> set[Relief]:
    assessment = assess(
        Payer(unit_type=unit_type, region=region), period, [line(i) for i in insurances], size, POLICIES, as_known_at
    )
    return {result.relief for result in assessment.lines}


# (unit type, region, size, fee period, expected relief of the three insurances)
BOUNDARIES = [
    # outside Hubei: SMEs and individual businesses exempt 2020-02 … 2020-12
    *[
        (E, NANTONG, size, p, r)
        for size in ("medium", "small", "micro")
        for p, r in (
            ("2020-01", "none"),
            ("2020-02", "exempt"),
            ("2020-06", "exempt"),
            ("2020-07", "exempt"),
            ("2020-12", "exempt"),
            ("2021-01", "none"),
        )
    ],
    *[
        (IB, NANTONG, None, p, r)
        for p, r in (("2020-01", "none"), ("2020-02", "exempt"), ("2020-12", "exempt"), ("2021-01", "none"))
    ],
    # outside Hubei: large enterprises and social organisations halved 2020-02 … 2020-06
    *[
        (E, SUZHOU, "large", p, r)
        for p, r in (
            ("2020-01", "none"),
            ("2020-02", "halved"),
            ("2020-04", "halved"),
            ("2020-06", "halved"),
            ("2020-07", "none"),
        )
    ],
    *[
        (SO, CHENGDU, None, p, r)
        for p, r in (("2020-01", "none"), ("2020-02", "halved"), ("2020-06", "halved"), ("2020-07", "none"))
    ],
    # size unknown: assessed as large (provisional), never the SME exemption
    *[(E, NANTONG, None, p, r) for p, r in (("2020-02", "halved"), ("2020-06", "halved"), ("2020-07", "none"))],
    # Hubei: everyone but public institutions exempt; large and social organisations to 2020-06
    *[
        (E, WUHAN, "large", p, r)
        for p, r in (("2020-01", "none"), ("2020-02", "exempt"), ("2020-06", "exempt"), ("2020-07", "none"))
    ],
    *[
        (SO, YICHANG, None, p, r)
        for p, r in (("2020-01", "none"), ("2020-02", "exempt"), ("2020-06", "exempt"), ("2020-07", "none"))
    ],
    *[
        (E, WUHAN, "small", p, r)
        for p, r in (("2020-01", "none"), ("2020-02", "exempt"), ("2020-12", "exempt"), ("2021-01", "none"))
    ],
    *[(IB, WUHAN, None, p, r) for p, r in (("2020-02", "exempt"), ("2020-12", "exempt"), ("2021-01", "none"))],
    # never relieved
    *[(PI, region, None, p, "none") for region in (NANTONG, WUHAN) for p in ("2020-02", "2020-04", "2020-06", "2020-12")],
    *[(FW, region, None, p, "none") for region in (NANTONG, WUHAN) for p in ("2020-02", "2020-06", "2020-12")],
]


@pytest.mark.parametrize(("unit_type", "region", "size", "period", "expected"), BOUNDARIES)
def test_window_boundaries(unit_type: UnitType, region: str, size: str | None, period: str, expected: str) -> None:
    assert reliefs(unit_type, region, period, size) == {Relief(expected)}


@pytest.mark.parametrize(
    ("region", "period", "unit_type", "expected"),
    [
        (NANTONG, "2020-01", E, "none"),
        (NANTONG, "2020-02", E, "halved"),
        (NANTONG, "2020-06", E, "halved"),
        (NANTONG, "2020-07", E, "none"),
        (SUZHOU, "2020-02", SO, "halved"),
        (SUZHOU, "2020-03", IB, "halved"),
        (SUZHOU, "2020-03", PI, "none"),
        (SUZHOU, "2020-03", FW, "none"),
        (CHENGDU, "2020-03", E, "none"),  # 6号 not adopted outside 江苏 in the shipped data
        (WUHAN, "2020-03", E, "none"),
        (HANGZHOU, "2020-03", E, "none"),
    ],
)
def test_medical_halving_is_per_region_adoption(region: str, period: str, unit_type: UnitType, expected: str) -> None:
    assert reliefs(unit_type, region, period, "small", insurances=(Insurance.MEDICAL,)) == {Relief(expected)}


def test_medical_not_adopted_is_traced() -> None:
    result = assess(Payer(unit_type=E, region=CHENGDU), "2020-03", [line(Insurance.MEDICAL)], "small", POLICIES).lines[0]
    rule = next(step for step in result.trace if step["step"] == "rule")
    assert rule["rule"] == "medical-halved" and rule["adopted"] is False and rule["applied"] is False


@pytest.mark.parametrize("period", ["2020-02", "2020-04", "2020-06"])
def test_maternity_is_never_reduced_in_jiangsu(period: str) -> None:
    result = assess(Payer(unit_type=E, region=NANTONG), period, [line(Insurance.MATERNITY)], "small", POLICIES).lines[0]
    assert result.relief is Relief.NONE and result.employer_payable_fen == result.employer_original_fen == 5000
    assert any(step.get("rule") == "maternity-not-reduced" for step in result.trace)


def test_nantong_sme_march_example() -> None:
    """DOMAIN.md: 南通 SME 2020-03: no pension, unemployment, work injury; half medical; full maternity and individual parts."""
    request = {
        "payer": {"unit_type": "enterprise", "region": NANTONG, "size": "small"},
        "fee_period": "2020-03",
        "lines": [
            {"insurance": "pension", "base_fen": 1_000_000},
            {"insurance": "unemployment", "base_fen": 1_000_000},
            {"insurance": "work_injury", "base_fen": 1_000_000, "risk_class": 2},
            {"insurance": "medical", "base_fen": 1_000_000},
            {"insurance": "maternity", "base_fen": 1_000_000},
        ],
    }
    response = preview(request)
    got = {
        x["insurance"]: (x["relief"], x["employer_original_fen"], x["employer_payable_fen"], x["individual_fen"])
        for x in response["lines"]
    }
    assert got == {
        "pension": ("exempt", 160_000, 0, 80_000),
        "unemployment": ("exempt", 5_000, 0, 5_000),
        "work_injury": ("exempt", 4_000, 0, 0),
        "medical": ("halved", 70_000, 35_000, 20_000),
        "maternity": ("none", 5_000, 5_000, 0),
    }
    assert (response["employer_payable_fen"], response["employer_relief_fen"], response["individual_fen"]) == (
        40_000,
        204_000,
        105_000,
    )
    assert response["status"] == "final"


def test_wuhan_large_enterprise_exempt_february_to_june_full_from_july() -> None:
    for month in range(1, 13):
        period = f"2020-{month:02d}"
        assessment = assess(Payer(unit_type=E, region=WUHAN), period, [line(i) for i in THREE], "large", POLICIES)
        expected = Relief.EXEMPT if 2 <= month <= 6 else Relief.NONE
        assert {x.relief for x in assessment.lines} == {expected}, period
        assert assessment.employer_original_fen == 160_000 + 5_000 + 4_000
        assert assessment.employer_payable_fen == (0 if expected is Relief.EXEMPT else 169_000)
        assert assessment.employer_relief_fen == (169_000 if expected is Relief.EXEMPT else 0)
        assert assessment.individual_fen == 80_000 + 5_000


def test_bitemporal_49_large_enterprise_may() -> None:
    """49号 (published 2020-06-22) reached back: 2020-05 was full rate as known on 2020-06-01, halved from 2020-06-22."""
    assert reliefs(E, SUZHOU, "2020-05", "large", as_known_at=date(2020, 6, 1)) == {Relief.NONE}
    assert reliefs(E, SUZHOU, "2020-05", "large", as_known_at=date(2020, 6, 21)) == {Relief.NONE}
    assert reliefs(E, SUZHOU, "2020-05", "large", as_known_at=date(2020, 6, 22)) == {Relief.HALVED}
    assert reliefs(E, SUZHOU, "2020-05", "large", as_known_at=date(2020, 7, 1)) == {Relief.HALVED}
    assert reliefs(E, SUZHOU, "2020-04", "large", as_known_at=date(2020, 6, 1)) == {Relief.HALVED}
    # SME months after June: only known with 49号
    assert reliefs(E, SUZHOU, "2020-07", "small", as_known_at=date(2020, 6, 1)) == {Relief.NONE}
    assert reliefs(E, SUZHOU, "2020-07", "small", as_known_at=date(2020, 7, 1)) == {Relief.EXEMPT}
    # before 11号 was published nothing was relieved
    assert reliefs(E, SUZHOU, "2020-02", "small", as_known_at=date(2020, 2, 19)) == {Relief.NONE}


def test_bitemporal_amounts_and_trace() -> None:
    payer = Payer(unit_type=E, region=SUZHOU)
    before = assess(payer, "2020-05", [line(Insurance.PENSION)], "large", POLICIES, date(2020, 6, 1))
    after = assess(payer, "2020-05", [line(Insurance.PENSION)], "large", POLICIES, date(2020, 7, 1))
    assert (before.employer_payable_fen, after.employer_payable_fen) == (160_000, 80_000)
    assert before.individual_fen == after.individual_fen == 80_000
    applied = next(step for step in after.lines[0].trace if step.get("applied"))
    assert applied["policy"] == "mohrss-2020-11" and applied["clause"] == "第一条"
    assert [a["policy"] for a in applied["amended_by"]] == ["mohrss-2020-49"]
    assert "mohrss-2020-49" in dict(after.policies) and "mohrss-2020-49" not in dict(before.policies)
    assert before.as_known_at == date(2020, 6, 1)


def test_as_known_at_times_are_read_in_china_time() -> None:
    # 2020-06-21 16:30 UTC is 2020-06-22 00:30 in China: 49号 is known
    assert reliefs(E, SUZHOU, "2020-05", "large", as_known_at=datetime(2020, 6, 21, 16, 30, tzinfo=UTC)) == {Relief.HALVED}
    assert reliefs(E, SUZHOU, "2020-05", "large", as_known_at=datetime(2020, 6, 21, 15, 30, tzinfo=UTC)) == {Relief.NONE}
    assert reliefs(E, SUZHOU, "2020-05", "large", as_known_at=datetime(2020, 6, 21, 23, 59)) == {Relief.NONE}


def test_jiangsu_adoption_is_known_only_from_its_publication() -> None:
    assert reliefs(E, NANTONG, "2020-02", "small", (Insurance.MEDICAL,), date(2020, 2, 27)) == {Relief.NONE}
    assert reliefs(E, NANTONG, "2020-02", "small", (Insurance.MEDICAL,), date(2020, 2, 28)) == {Relief.HALVED}


def test_unknown_size_is_provisional_large() -> None:
    assessment = assess(Payer(unit_type=E, region=NANTONG), "2020-03", [line(i) for i in THREE], None, POLICIES)
    assert assessment.status == "provisional" and assessment.size_used is not None and assessment.size_used.value == "large"
    other = assess(Payer(unit_type=SO, region=NANTONG), "2020-03", [line(i) for i in THREE], None, POLICIES)
    assert other.status == "final" and other.size_used is None


def test_kunshan_halves_the_rate_before_the_cut() -> None:
    """昆山: declared 7 %, original 8 % → pays 4 %; relief against the declared 7 %."""
    request = {
        "payer": {"unit_type": "enterprise", "region": KUNSHAN, "size": "small"},
        "fee_period": "2020-03",
        "lines": [{"insurance": "medical", "base_fen": 1_000_000}],
    }
    result = preview(request)["lines"][0]
    assert (result["relief"], result["employer_original_fen"], result["employer_payable_fen"], result["employer_relief_fen"]) == (
        "halved",
        70_000,
        40_000,
        30_000,
    )
    assert result["individual_fen"] == 20_000
    amounts = result["trace"][-1]
    assert amounts["rate_base"] == "original" and amounts["halved_rate"] == "0.08" and amounts["halved_from_fen"] == 80_000


def test_pre_cut_halving_never_exceeds_the_declared_amount() -> None:
    payer = Payer(unit_type=E, region=KUNSHAN)
    cut = Line(
        insurance=Insurance.MEDICAL,
        base_fen=1_000_000,
        employer_rate="0.03",
        individual_rate="0.02",
        employer_original_rate="0.08",
    )
    result = assess(payer, "2020-03", [cut], "small", POLICIES).lines[0]
    assert (result.employer_original_fen, result.employer_payable_fen, result.employer_relief_fen) == (30_000, 30_000, 0)
    # outside 江苏's rule a declared original rate is not used: 11号 halves the declared amount
    pension = Line(
        insurance=Insurance.PENSION,
        base_fen=1_000_000,
        employer_rate="0.16",
        individual_rate="0.08",
        employer_original_rate="0.2",
    )
    result = assess(payer, "2020-03", [pension], "large", POLICIES).lines[0]
    assert result.employer_payable_fen == 80_000


def test_invalid_inputs_are_refused_clearly() -> None:
    payer = Payer(unit_type=E, region=NANTONG)
    with pytest.raises(InvalidRequest, match="more than once"):
        assess(payer, "2020-03", [line(Insurance.PENSION), line(Insurance.PENSION)], "small", POLICIES)
    with pytest.raises(InvalidRequest, match="size"):
        assess(payer, "2020-03", [line(Insurance.PENSION)], "huge", POLICIES)
    with pytest.raises(ValueError, match="individual part"):
        Line(insurance=Insurance.MATERNITY, base_fen=1, employer_rate="0.005", individual_rate="0.01")
    with pytest.raises(ValueError):
        Line(insurance=Insurance.PENSION, base_fen=1, employer_rate=0.16, individual_rate="0.08")  # a float
    with pytest.raises(ValueError):
        Payer(unit_type=E, region="3206")
    with pytest.raises(InvalidRequest, match="risk_class"):
        preview(
            {
                "payer": {"unit_type": "enterprise", "region": NANTONG},
                "fee_period": "2020-03",
                "lines": [{"insurance": "work_injury", "base_fen": 100}],
            }
        )
    with pytest.raises(InvalidRequest, match="not supported"):
        preview(
            {
                "payer": {"unit_type": "enterprise", "region": "110100"},
                "fee_period": "2020-03",
                "lines": [{"insurance": "pension", "base_fen": 100}],
            }
        )
    with pytest.raises(InvalidRequest, match="either project"):
        preview(
            {
                "payer": {"unit_type": "enterprise", "region": NANTONG},
                "fee_period": "2020-03",
                "lines": [],
                "project": {"started": "2020-02-01", "planned_months": 3, "premium_fen": 1},
            }
        )
    with pytest.raises(InvalidRequest, match="credit_code"):
        preview(
            {
                "payer": {"unit_type": "enterprise", "region": NANTONG, "credit_code": "91320500MA1N2K3L4X"},
                "fee_period": "2020-03",
                "lines": [{"insurance": "pension", "base_fen": 100}],
            }
        )


def test_region_without_parameters_still_assesses_with_declared_rates() -> None:
    response = preview(
        {
            "payer": {"unit_type": "enterprise", "region": "110100", "size": "small"},
            "fee_period": "2020-03",
            "lines": [{"insurance": "pension", "base_fen": 100_000, "employer_rate": "0.16", "individual_rate": "0.08"}],
        }
    )
    assert response["lines"][0]["relief"] == "exempt" and response["individual_fen"] == 8_000
