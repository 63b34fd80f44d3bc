"""Properties (hypothesis): payable + relief = original; payable ≥ 0; the individual part never changes;
halving rounds exactly as DOMAIN.md §4 (original half-up to the fen, then ½ half-up again)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from refdata.enums import Insurance, Size, UnitType
from relief_calc.domain.engine import Line, Payer, assess, employer_amounts
from relief_calc.domain.late_fees import late_fee_fen
from relief_calc.domain.policies import default_policy_dir, load_policies
from relief_calc.domain.policy_model import RateBase, Relief
from relief_calc.domain.projects import prorated_relief_fen

POLICIES = load_policies(default_policy_dir())
REGIONS = ["320600", "320500", "320583", "320400", "420100", "420500", "510100", "510400", "330100"]

bases = st.integers(min_value=0, max_value=10**10)
rates = st.integers(min_value=0, max_value=300_000).map(lambda n: Decimal(n).scaleb(-6).normalize())
periods = st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(2019, 2021), st.integers(1, 12))
known_days = st.one_of(st.none(), st.dates(min_value=date(2020, 1, 1), max_value=date(2021, 1, 1)))


def half_up(value: Fraction) -> int:
    """Round a non-negative exact value half-up to an integer (an independent reference)."""
    return int(value + Fraction(1, 2))


@st.composite
def lines(draw: st.DrawFn) -> list[Line]:
    insurances = draw(st.lists(st.sampled_from(list(Insurance)), min_size=1, max_size=5, unique=True))
    result = []
    for insurance in insurances:
        employer = draw(rates)
        individual = draw(rates) if insurance.has_individual_part else Decimal(0)
        original = draw(st.one_of(st.none(), rates.filter(lambda r, e=employer: r >= e)))
        result.append(
            Line(
                insurance=insurance,
                base_fen=draw(bases),
                employer_rate=employer,
                individual_rate=individual,
                employer_original_rate=original,
            )
        )
    return result


@given(base=bases, rate=rates, relief=st.sampled_from(list(Relief)), rate_base=st.sampled_from(list(RateBase)), data=st.data())
def test_amounts_add_up_and_halving_rounds_twice(
    base: int, rate: Decimal, relief: Relief, rate_base: RateBase, data: st.DataObject
) -> None:
    original_rate = data.draw(st.one_of(st.none(), rates.filter(lambda r: r >= rate)))
    if relief is not Relief.HALVED:
        rate_base = RateBase.DECLARED
    line = Line(
        insurance=Insurance.PENSION,
        base_fen=base,
        employer_rate=rate,
        individual_rate="0.08",
        employer_original_rate=original_rate,
    )
    original, payable, _ = employer_amounts(line, relief, rate_base)
    assert original == half_up(Fraction(base) * Fraction(rate))
    assert 0 <= payable <= original
    relief_fen = original - payable
    assert payable + relief_fen == original and relief_fen >= 0
    if relief is Relief.EXEMPT:
        assert payable == 0
    elif relief is Relief.NONE:
        assert payable == original
    elif rate_base is RateBase.DECLARED or original_rate is None:
        assert payable == half_up(Fraction(original, 2)) == (original + 1) // 2
    else:
        assert payable == min((half_up(Fraction(base) * Fraction(original_rate)) + 1) // 2, original)


@settings(deadline=None, max_examples=150)
@given(
    unit_type=st.sampled_from(list(UnitType)),
    size=st.one_of(st.none(), st.sampled_from(list(Size))),
    region=st.sampled_from(REGIONS),
    period=periods,
    declared=lines(),
    as_known_at=known_days,
)
def test_assessment_invariants(
    unit_type: UnitType, size: Size | None, region: str, period: str, declared: list[Line], as_known_at: date | None
) -> None:
    payer = Payer(unit_type=unit_type, region=region)
    assessment = assess(payer, period, declared, size, POLICIES, as_known_at)
    assert [x.insurance for x in assessment.lines] == [line.insurance for line in declared]
    for line, result in zip(declared, assessment.lines, strict=True):
        assert result.employer_payable_fen + result.employer_relief_fen == result.employer_original_fen
        assert result.employer_payable_fen >= 0 and result.employer_relief_fen >= 0
        assert result.individual_fen == half_up(Fraction(line.base_fen) * Fraction(line.individual_rate))
        if result.relief is Relief.NONE:
            assert result.employer_relief_fen == 0
        if unit_type in (UnitType.PUBLIC_INSTITUTION, UnitType.FLEXIBLE_WORKER) or not "2020-02" <= period <= "2020-12":
            assert result.relief is Relief.NONE
        if line.insurance is Insurance.MATERNITY:
            assert result.relief is Relief.NONE
    # the individual part is the same whatever the relief: compare with a public institution's assessment
    baseline = assess(Payer(unit_type=UnitType.PUBLIC_INSTITUTION, region=region), period, declared, None, POLICIES, as_known_at)
    assert [x.individual_fen for x in baseline.lines] == [x.individual_fen for x in assessment.lines]
    assert [x.employer_original_fen for x in baseline.lines] == [x.employer_original_fen for x in assessment.lines]
    assert assessment.employer_payable_fen == sum(x.employer_payable_fen for x in assessment.lines)
    assert assessment.employer_relief_fen == sum(x.employer_relief_fen for x in assessment.lines)
    assert assessment.individual_fen == sum(x.individual_fen for x in assessment.lines)


@settings(deadline=None, max_examples=60)
@given(region=st.sampled_from(REGIONS), period=periods, size=st.sampled_from(list(Size)), declared=lines(), day=known_days)
def test_more_knowledge_never_takes_2020_relief_away(
    region: str, period: str, size: Size, declared: list[Line], day: date | None
) -> None:
    """The 2020 documents only widened relief over time: as known later, payable never grows."""
    payer = Payer(unit_type=UnitType.ENTERPRISE, region=region)
    earlier = assess(payer, period, declared, size, POLICIES, day)
    latest = assess(payer, period, declared, size, POLICIES, None)
    for a, b in zip(earlier.lines, latest.lines, strict=True):
        assert b.employer_payable_fen <= a.employer_payable_fen


@given(
    unpaid=st.integers(0, 10**9),
    days=st.integers(0, 5000),
    extra=st.integers(1, 30),
    cap=st.booleans(),
)
def test_late_fee_properties(unpaid: int, days: int, extra: int, cap: bool) -> None:
    due = date(2020, 3, 25)
    fee = late_fee_fen(unpaid, due, due + timedelta(days=days), cap_at_principal=cap)
    assert fee == (min(half_up(Fraction(unpaid * days, 2000)), unpaid) if cap else half_up(Fraction(unpaid * days, 2000)))
    assert late_fee_fen(unpaid, due, due + timedelta(days=days + extra), cap_at_principal=cap) >= fee
    deferred = late_fee_fen(unpaid, due, due + timedelta(days=days), [(due, due + timedelta(days=days))], cap)
    assert deferred == 0


@given(premium=st.integers(0, 10**10), planned=st.integers(1, 60), data=st.data())
def test_proration_properties(premium: int, planned: int, data: st.DataObject) -> None:
    exempt = data.draw(st.integers(0, planned))
    halved = data.draw(st.integers(0, planned - exempt))
    relief = prorated_relief_fen(premium, planned, exempt, halved)
    assert relief == half_up(Fraction(premium * (2 * exempt + halved), 2 * planned))
    assert 0 <= relief <= premium
