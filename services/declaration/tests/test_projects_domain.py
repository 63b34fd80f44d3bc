"""Construction projects insured per project: the premium, the checks and the aggregate (pure)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from declaration.domain import projects as pj
from declaration.domain.events import PayerProfile, ProjectCorrected, ProjectDeclared
from declaration.domain.issues import Conflict

TODAY = date(2020, 7, 1)
PROFILE = PayerProfile(
    credit_code="91320600MA1MXXXX0X", name="南通某某建设有限公司", unit_type="enterprise", region="320600",
    industry_section="E", work_injury_class=3, enrollments=(),
)  # fmt: skip


def project(**over: object) -> pj.ProjectInput:
    fields: dict[str, object] = {
        "project_code": "NT-2020-0301", "name": "南通某某大桥", "started": date(2020, 3, 1), "planned_months": 12,
        "contract_price_fen": 800_000_000, "rate_per_mille": "1.5",
    }  # fmt: skip
    return pj.ProjectInput(**(fields | over))  # type: ignore[arg-type]


def test_the_premium_is_contract_price_times_the_per_mille_rate_rounded_half_up_once() -> None:
    assert pj.premium_of(800_000_000, Decimal("1.5")) == 1_200_000
    assert pj.premium_of(123_456_789, Decimal("1.5")) == 185_185  # 185,185.1835 → down
    assert pj.premium_of(1_000_333, Decimal("1.5")) == 1_500  # 1,500.4995 → down
    assert pj.premium_of(1_000_334, Decimal("1.5")) == 1_501  # 1,500.501 → up
    assert pj.premium_of(1_001, Decimal("0.5")) == 1  # 0.5005 → up: half-up, never banker's


@given(st.integers(1, 10**15), st.integers(1, 1_000_000))
def test_the_premium_is_within_half_a_fen_of_the_exact_product(price: int, rate_ten_thousandths: int) -> None:
    rate = Decimal(rate_ten_thousandths) / 10_000
    exact = Decimal(price) * rate / 1000
    assert abs(pj.premium_of(price, rate) - exact) <= Decimal("0.5")


def test_a_premium_may_be_given_directly_or_must_match_the_price_and_rate() -> None:
    assert pj.check_project(project(), today=TODAY) == (1_200_000, [])
    assert pj.check_project(project(contract_price_fen=None, rate_per_mille=None, premium_fen=99), today=TODAY) == (99, [])
    premium, issues = pj.check_project(project(premium_fen=1_200_001), today=TODAY)
    assert premium is None and [(i.field, i.code) for i in issues] == [("premium_fen", "premium.mismatch")]


@pytest.mark.parametrize(
    ("over", "field", "code"),
    [
        ({"contract_price_fen": None, "rate_per_mille": None}, "premium_fen", "premium.missing"),
        ({"rate_per_mille": None}, "rate_per_mille", "rate_per_mille.missing"),
        ({"contract_price_fen": None}, "contract_price_fen", "contract_price_fen.missing"),
        ({"rate_per_mille": "0"}, "rate_per_mille", "rate.range"),
        ({"rate_per_mille": "100.5"}, "rate_per_mille", "rate.range"),
        ({"contract_price_fen": 1, "rate_per_mille": "0.1"}, "premium_fen", "premium.range"),
        ({"started": date(1999, 12, 31)}, "started", "started.too_early"),
        ({"started": date(2023, 1, 1)}, "started", "started.too_late"),
        ({"planned_months": 0}, "planned_months", "planned_months.range"),
        ({"planned_months": 601}, "planned_months", "planned_months.range"),
    ],
)
def test_every_refusal_names_its_field(over: dict[str, object], field: str, code: str) -> None:
    premium, issues = pj.check_project(project(**over), today=TODAY)
    assert (field, code) in [(i.field, i.code) for i in issues]


def test_declare_once_then_correct_with_a_new_revision_and_nothing_when_unchanged() -> None:
    first = pj.content(PROFILE, project(), 1_200_000, 1)
    [declared] = pj.declare(pj.ProjectState(), first)
    assert isinstance(declared, ProjectDeclared) and declared.project.project_id == "91320600MA1MXXXX0X-NT-2020-0301"
    state = pj.fold_project([declared])
    with pytest.raises(Conflict) as refused:
        pj.declare(state, first)
    assert refused.value.field == "project_code"
    assert pj.correct(state, pj.content(PROFILE, project(), 1_200_000, 2), "again") == []
    [corrected] = pj.correct(state, pj.content(PROFILE, project(planned_months=10), 1_200_000, 2), "工期调整")
    assert isinstance(corrected, ProjectCorrected)
    assert (corrected.previous_revision, corrected.project.revision, corrected.project.planned_months) == (1, 2, 10)
    assert pj.fold_project([declared, corrected]).project == corrected.project
    with pytest.raises(Conflict):
        pj.correct(pj.ProjectState(), first, "nothing to correct")
