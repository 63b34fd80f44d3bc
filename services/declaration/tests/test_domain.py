"""The declaration domain without I/O: amounts, checks, audit holds and the aggregates' decisions."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from declaration.domain import aggregates as agg
from declaration.domain.audit import base_increases, in_relief_window
from declaration.domain.declaring import DeclarationInput, LineInput, check, compute
from declaration.domain.events import DeclarationContent, DeclarationLine, Enrollment, PayerProfile
from declaration.domain.issues import Conflict
from refdata.regions import RegionCatalog

CATALOG = RegionCatalog.default()
PAYER = PayerProfile(
    credit_code="91320600MA00000015",
    name="x",
    unit_type="enterprise",
    region="320600",
    industry_section="C",
    work_injury_class=3,
    work_injury_grade="0.8",
    enrollments=tuple(
        Enrollment(insurance=i, since="2015-01-01") for i in ("pension", "unemployment", "work_injury", "medical", "maternity")
    ),
)
TODAY = date(2026, 11, 22)


@given(heads=st.integers(1, 500), per_head=st.integers(386_700, 1_933_500))
def test_amounts_are_base_times_rate_half_up_per_insurance_and_part(heads: int, per_head: int) -> None:
    base = heads * per_head
    decl = DeclarationInput("2020-03", (LineInput("pension", heads, base), LineInput("work_injury", heads, base)))
    result = check(PAYER, decl, catalog=CATALOG, today=TODAY)
    assert result.ok, result.issues
    assert result.parameters is not None
    pension, injury = compute(PAYER, decl, result.parameters)
    assert pension.employer_fen == int((Decimal(base) * Decimal("0.16")).quantize(Decimal(1), ROUND_HALF_UP))
    assert pension.individual_fen == int((Decimal(base) * Decimal("0.08")).quantize(Decimal(1), ROUND_HALF_UP))
    assert injury.employer_rate == Decimal("0.007") * Decimal("0.8") and injury.individual_fen == 0


@given(period=st.sampled_from(["2019-06", "2020-02", "2020-12", "2021-01"]), heads=st.integers(1, 50))
def test_the_average_base_band_is_enforced_on_both_sides(period: str, heads: int) -> None:
    params = CATALOG.parameters("320600", period)
    for per_head, ok in (
        (params.base_floor_fen, True),
        (params.base_floor_fen - 1, False),
        (params.base_ceiling_fen, True),
        (params.base_ceiling_fen + 1, False),
    ):
        decl = DeclarationInput(period, (LineInput("pension", heads, heads * per_head),))
        codes = {i.code for i in check(PAYER, decl, catalog=CATALOG, today=TODAY).issues}
        assert ("base.band" not in codes) is ok


def line(ins: str, heads: int, base: int) -> DeclarationLine:
    return DeclarationLine(
        insurance=ins,
        headcount=heads,
        base_fen=base,
        employer_rate="0.16",
        individual_rate="0.08",
        employer_fen=0,
        individual_fen=0,
    )


def test_audit_flags_a_higher_average_base_only() -> None:
    before = (line("pension", 10, 5_000_000), line("medical", 10, 5_000_000))
    more_staff_same_average = (line("pension", 20, 10_000_000),)
    assert base_increases(more_staff_same_average, before) == []
    raised = base_increases((line("pension", 10, 5_000_010), line("medical", 10, 4_000_000)), before)
    assert [(r.insurance, r.previous_average_base_fen, r.new_average_base_fen) for r in raised] == [("pension", 500_000, 500_001)]


@pytest.mark.parametrize(("period", "inside"), [("2020-01", False), ("2020-02", True), ("2020-12", True), ("2021-01", False)])
def test_relief_window_edges(period: str, inside: bool) -> None:
    from refdata.periods import FeePeriod

    assert in_relief_window(FeePeriod.parse(period)) is inside


def content(revision: int, hold: bool = False) -> DeclarationContent:
    return DeclarationContent(
        declaration_id="X-2020-03",
        credit_code="X",
        fee_period="2020-03",
        revision=revision,
        region="320600",
        unit_type="enterprise",
        lines=(),
        employer_fen=1,
        individual_fen=1,
        audit_hold=hold,
    )


def test_declaration_state_machine() -> None:
    state = agg.fold_declaration(agg.submit(agg.DeclarationState(), content(1), []))
    assert (state.status, state.revision) == (agg.SUBMITTED, 1)
    with pytest.raises(Conflict):
        agg.submit(state, content(2), [])
    state = agg.fold_declaration(
        [*agg.submit(agg.DeclarationState(), content(1), []), *agg.correct(state, content(2, hold=True), [], "fix")]
    )
    assert state.status == agg.HELD
    with pytest.raises(Conflict):
        agg.void(agg.DeclarationState(), "X", "2020-03", "nothing there")
    with pytest.raises(Conflict):
        agg.decide_audit(agg.DeclarationState(status=agg.SUBMITTED), "X", "2020-03", approve=True, officer="o", note="")
