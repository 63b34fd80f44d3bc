"""Pooling regions and their dated parameters (the shipped data and the loader's checks)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from refdata.enums import Insurance
from refdata.errors import InvalidAmount, NoParameters, RegionDataError, UnknownRegion
from refdata.periods import FeePeriod
from refdata.regions import RegionCatalog

CATALOG = RegionCatalog.default()
REQUIRED = {"320600", "320500", "320583", "320400", "510400", "510100", "420100", "420500", "330100"}
COVERED = FeePeriod.range("2019-01", "2021-12")
BELOW_16_PERCENT = {"33"}  # 浙江 stayed at 14 %, below the 16 % of 国办发〔2019〕13号


def test_the_required_regions_are_shipped_with_their_provinces() -> None:
    regions = {r.code: r for r in CATALOG.regions()}
    assert REQUIRED <= set(regions)
    assert regions["320583"].name == "昆山市" and regions["320583"].province == "江苏省"
    assert regions["420100"].province_code == "42" and regions["510400"].name == "攀枝花市"
    assert CATALOG.region("330100").province == "浙江省"
    assert RegionCatalog.default() is CATALOG


@pytest.mark.parametrize("code", sorted(REQUIRED))
def test_every_region_has_every_insurance_for_every_month_2019_to_2021(code: str) -> None:
    for period in COVERED:
        params = CATALOG.parameters(code, period)
        assert set(params.rates) == set(Insurance)
        assert params.fee_period == period and params.region == code
        for insurance, rates in params.rates.items():
            assert Decimal(0) < rates.employer <= Decimal("0.20") and Decimal(0) <= rates.individual <= Decimal("0.08"), insurance
            if not insurance.has_individual_part:
                assert rates.individual == 0
        assert sorted(params.work_injury_class_rates) == list(range(1, 9))
        assert 1 <= params.due_day <= 31 and params.rounding == ROUND_HALF_UP
        assert "base band:" in params.source and "medical:" in params.source


@pytest.mark.parametrize("code", sorted(REQUIRED))
def test_band_is_60_and_300_percent_of_the_average_wage_to_the_fen(code: str) -> None:
    for period in COVERED:
        params = CATALOG.parameters(code, period)
        floor = (Decimal(params.average_wage_fen) * Decimal("0.6")).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        assert params.base_floor_fen == int(floor)
        assert params.base_ceiling_fen == 3 * params.average_wage_fen
        assert params.base_within_band(params.base_floor_fen) and params.base_within_band(params.base_ceiling_fen)
        assert not params.base_within_band(params.base_floor_fen - 1)
        assert not params.base_within_band(params.base_ceiling_fen + 1)


def test_nantong_2020_03_medical_employer_is_7_percent() -> None:
    params = CATALOG.parameters("320600", "2020-03")
    assert params.rates[Insurance.MEDICAL].employer == Decimal("0.07")
    assert params.rates[Insurance.MEDICAL].individual == Decimal("0.02")
    assert params.rates[Insurance.MEDICAL].employer_original is None
    assert params.region_name == "南通市" and params.province == "江苏省" and params.province_code == "32"


def test_kunshan_medical_halving_is_based_on_the_original_8_percent() -> None:
    medical = CATALOG.parameters("320583", FeePeriod(2020, 3)).rates[Insurance.MEDICAL]
    assert medical.employer_original == Decimal("0.08")
    assert medical.employer < medical.employer_original
    assert medical.relief_base_rate == Decimal("0.08")
    assert CATALOG.parameters("320500", "2020-03").rates[Insurance.MEDICAL].employer_original is None


def test_pension_employer_is_16_percent_from_2019_05() -> None:
    for region in CATALOG.regions():
        for period in FeePeriod.range("2019-05", "2021-12"):
            pension = CATALOG.parameters(region.code, period).rates[Insurance.PENSION]
            assert pension.individual == Decimal("0.08")
            if region.province_code in BELOW_16_PERCENT:
                assert pension.employer == Decimal("0.14")
            else:
                assert pension.employer == Decimal("0.16"), (region.code, period)
        before = CATALOG.parameters(region.code, "2019-04").rates[Insurance.PENSION].employer
        assert before == (Decimal("0.14") if region.province_code in BELOW_16_PERCENT else Decimal("0.19"))


def test_maternity_is_employer_only_and_merged_from_2020() -> None:
    assert not CATALOG.parameters("320600", "2019-12").maternity_merged_into_medical
    assert CATALOG.parameters("320600", "2020-01").maternity_merged_into_medical
    assert CATALOG.parameters("420100", "2020-05").rates[Insurance.MATERNITY].individual == 0


def test_work_injury_rates_by_class_and_floating_grade() -> None:
    params = CATALOG.parameters("510400", "2020-03")
    expected = ["0.002", "0.004", "0.007", "0.009", "0.011", "0.013", "0.016", "0.019"]
    assert [params.work_injury_rate(c, None) for c in range(1, 9)] == [Decimal(r) for r in expected]
    assert params.work_injury_rate(3, Decimal("1.2")) == Decimal("0.0084")
    assert params.work_injury_rate(8, Decimal("0.5")) == Decimal("0.0095")
    assert params.work_injury_rate(1, Decimal("1.5")) == Decimal("0.003")
    assert params.work_injury_original_rate(3, None) == Decimal("0.007")
    assert params.employer_rate(Insurance.WORK_INJURY, risk_class=2) == Decimal("0.004")
    assert params.employer_rate(Insurance.MEDICAL) == params.rates[Insurance.MEDICAL].employer
    assert params.rates[Insurance.WORK_INJURY].employer == Decimal("0.002")  # class 1, the floor of the table
    with pytest.raises(InvalidAmount, match="class 1 must be one of"):
        params.work_injury_rate(1, Decimal("0.8"))  # class 1 never floats down
    with pytest.raises(InvalidAmount, match="1-8"):
        params.work_injury_rate(9, None)
    with pytest.raises(InvalidAmount, match="risk class"):
        params.employer_rate(Insurance.WORK_INJURY)


def test_unknown_region_and_uncovered_period_carry_zh_and_en() -> None:
    with pytest.raises(UnknownRegion) as unknown:
        CATALOG.parameters("310000", "2020-03")
    assert "310000" in unknown.value.en and "not supported" in unknown.value.en
    assert "310000" in unknown.value.zh and "不在本平台支持范围内" in unknown.value.zh
    with pytest.raises(UnknownRegion):
        CATALOG.region("320600 ")
    with pytest.raises(NoParameters) as early:
        CATALOG.parameters("320600", "2018-12")
    assert "2018-12" in early.value.en and "320600" in early.value.en and "2018-12" in early.value.zh
    with pytest.raises(NoParameters) as late:
        CATALOG.parameters("320600", "2022-01")
    assert "contribution base band" in late.value.en and "缴费基数上下限" in late.value.zh


# ---------------------------------------------------------------- the loader's checks

NATIONAL = """
rounding: ROUND_HALF_UP
maternity_merged_from: 2020-01
work_injury:
  - from: 2015-10
    class_rates: {1: "0.002", 2: "0.004", 3: "0.007", 4: "0.009", 5: "0.011", 6: "0.013", 7: "0.016", 8: "0.019"}
    source: 人社部发〔2015〕71号
rates:
  pension: [{from: 2019-05, employer: "0.16", individual: "0.08", source: 国办发〔2019〕13号}]
  unemployment: [{from: 2019-01, employer: "0.005", individual: "0.005", source: s}]
"""
PROVINCE = """
code: "32"
name: 江苏省
due_day: 25
base_bands:
  - {from: 2020-01, to: 2020-12, average_wage_fen: 644500, floor_fen: 386700, ceiling_fen: 1933500, source: s}
"""
REGION = """
code: "320600"
name: 南通市
province: "32"
rates:
  medical: [{from: 2019-01, employer: "0.07", individual: "0.02", source: s}]
  maternity: [{from: 2019-01, employer: "0.005", individual: "0", source: s}]
"""


def _catalog(
    national: str = NATIONAL, province: str = PROVINCE, region: str = REGION, file: str = "regions/320600.yaml"
) -> RegionCatalog:
    return RegionCatalog.from_texts(national, {"32": province}, {file: region})


def test_a_minimal_catalog_loads_and_a_province_may_override_the_national_layer() -> None:
    assert _catalog().parameters("320600", "2020-06").rates[Insurance.PENSION].employer == Decimal("0.16")
    with pytest.raises(NoParameters, match="pension"):
        _catalog().parameters("320600", "2019-04")  # the national pension entry starts 2019-05
    overridden = _catalog(region=REGION + "maternity_merged_from: null\ndue_day: 15\n").parameters("320600", "2020-06")
    assert not overridden.maternity_merged_into_medical and overridden.due_day == 15


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('employer: "0.07"', "employer: 0.07"), "quoted decimal"),
        (('employer: "0.07"', 'employer: "7%"'), "plain decimal"),
        (("source: s}]\n  maternity", "source: s (a, b)}]\n  maternity"), "unknown keys"),
        (('"0.02", source: s}', '"0.02"}'), "cite its source"),
        (('employer: "0.07"', 'employer: "0.07", employer_original: "0.06"'), "below employer"),
        (('employer: "0.005", individual: "0"', 'employer: "0.005", individual: "0.001"'), "no individual part"),
        (('province: "32"', 'province: "33"'), "province"),
        (
            (
                "medical: [{from: 2019-01,",
                'medical: [{from: 2019-01, to: 2019-06, employer: "0.07", individual: "0.02", source: s}, {from: 2019-06,',
            ),
            "overlap",
        ),
        (('2019-01, employer: "0.07"', '2019-13, employer: "0.07"'), "01-12"),
    ],
)
def test_bad_region_data_is_refused_with_the_file_named(change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in REGION
    with pytest.raises(RegionDataError) as caught:
        _catalog(region=REGION.replace(old, new, 1))
    assert expected in caught.value.en and "320600.yaml" in caught.value.en and caught.value.zh


def test_a_band_that_is_not_60_and_300_percent_is_refused() -> None:
    with pytest.raises(RegionDataError, match="floor must be 60 %"):
        _catalog(province=PROVINCE.replace("floor_fen: 386700", "floor_fen: 386800"))
    rounded = PROVINCE.replace(
        "average_wage_fen: 644500, floor_fen: 386700", "average_wage_fen: 644533, floor_fen: 386700, rounded_to: yuan"
    )
    rounded = rounded.replace("ceiling_fen: 1933500", "ceiling_fen: 1933600")
    assert _catalog(province=rounded).parameters("320600", "2020-01").base_floor_fen == 386700


def test_a_region_missing_an_insurance_is_refused() -> None:
    with pytest.raises(RegionDataError, match=r"rates\.maternity"):
        _catalog(region=REGION.split("  maternity")[0])


def test_a_region_file_is_named_after_its_code() -> None:
    with pytest.raises(RegionDataError, match="must be named 320600.yaml"):
        _catalog(file="regions/320601.yaml")


def test_a_phased_work_injury_cut_keeps_the_original_class_rates() -> None:
    cut = """
work_injury:
  - from: 2019-05
    class_rates: {1: "0.001", 2: "0.002", 3: "0.0035", 4: "0.0045", 5: "0.0055", 6: "0.0065", 7: "0.008", 8: "0.0095"}
    original_class_rates: {1: "0.002", 2: "0.004", 3: "0.007", 4: "0.009", 5: "0.011", 6: "0.013", 7: "0.016", 8: "0.019"}
    source: 国办发〔2019〕13号 (50 % cut; test data)
"""
    params = _catalog(region=REGION + cut).parameters("320600", "2020-03")
    assert params.work_injury_rate(3, Decimal("1.2")) == Decimal("0.0042")
    assert params.work_injury_original_rate(3, Decimal("1.2")) == Decimal("0.0084")
    assert params.rates[Insurance.WORK_INJURY].employer_original == Decimal("0.002")
    with pytest.raises(RegionDataError, match="risk classes 1 to 8"):
        _catalog(region=REGION + cut.replace(', 8: "0.0095"', ""))
