"""缓缴 deferral, pure: the limits from policy data (months, latest period, insurances, hardship), the
county and city review flows step by step, who may act at which step, and approval."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from eventkit.events import Event
from refdata.codes import make_credit_code
from relief_calc.domain import deferrals as d
from relief_calc.domain.deferral_events import (
    DeferralApplied,
    DeferralApproved,
    DeferralFirstReviewed,
    DeferralOpinionRecorded,
    DeferralRejected,
    Evidence,
)
from relief_calc.domain.deferral_state import (
    APPROVED,
    REJECTED,
    UNDER_REVIEW,
    WITHDRAWN,
    Actor,
    ApplicationInput,
    DeferralConflict,
    DeferralNotFound,
    DeferralState,
    FlowDataError,
    InvalidDeferral,
    NotAllowed,
    fold,
)
from relief_calc.domain.policies import default_policy_dir, load_policies, parse_policy

POLICIES = load_policies(default_policy_dir())
NOW = datetime(2020, 8, 3, 9, 0, tzinfo=UTC)  # 49号 (published 2020-06-22) known
BEFORE_49 = datetime(2020, 5, 6, 9, 0, tzinfo=UTC)
CODE = make_credit_code("91510400MA0000001")
OTHER = make_credit_code("91510400MA0000002")
PAYER = Actor("payer-1", frozenset({"payer"}), payer=CODE)
HR, FIN = Actor("hr-1", frozenset({"hr_officer"})), Actor("fin-1", frozenset({"finance_officer"}))
TAX, ECON = Actor("tax-1", frozenset({"tax_officer"})), Actor("econ-1", frozenset({"econ_officer"}))


def due_25(_region: str, _period: Any) -> int:
    return 25


def inp(**over: Any) -> ApplicationInput:
    values: dict[str, Any] = {
        "credit_code": CODE,
        "region": "510400",
        "review_level": "county",
        "first_period": "2020-03",
        "last_period": "2020-08",
        "insurances": ("pension", "unemployment", "work_injury"),
        "reason": "疫情期间停产，资金周转困难",
        "hardship": ("停产或半停产",),
        "evidence": (Evidence(kind="financial_statement", title="2020年一季度财务报表", reference="doc-1"),),
    }
    values.update(over)
    return ApplicationInput(**values)


def applied(now: datetime = NOW, policies: Any = POLICIES, **over: Any) -> list[Event]:
    return d.apply(DeferralState(), "app-1", inp(**over), PAYER, policies, now)


def act(history: list[Event], fn: Callable[..., list[Event]], *args: Any, **kw: Any) -> list[Event]:
    return history + fn(fold(history), *args, **kw)


def opinion(history: list[Event], actor: Actor, stance: str = "support", department: str | None = None) -> list[Event]:
    return act(history, d.record_opinion, actor, stance, f"{actor.sub}：同意缓缴", department, NOW)


def decide(
    history: list[Event], actor: Actor = HR, approve: bool = True, now: datetime = NOW, policies: Any = POLICIES, **kw: Any
) -> list[Event]:
    return act(history, d.decide, actor, approve, "经审核，同意缓缴", now, policies=policies, due_day=due_25, **kw)


def refused(exc: type[Exception], call: Callable[[], Any]) -> Any:
    with pytest.raises(exc) as info:
        call()
    return info.value


def fields(err: InvalidDeferral) -> dict[str, str]:
    return {i.field: i.code for i in err.issues}


# ---- limits --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("first", "last", "ok"), [("2020-03", "2020-08", True), ("2020-03", "2020-09", False), ("2020-02", "2020-02", True)]
)
def test_at_most_six_months(first: str, last: str, ok: bool) -> None:
    if ok:
        assert applied(first_period=first, last_period=last)[0].months <= 6  # type: ignore[attr-defined]
    else:
        err = refused(InvalidDeferral, lambda: applied(first_period=first, last_period=last))
        assert fields(err) == {"last_period": "deferral.too_long"} and "6" in err.zh and "7" in err.en


@pytest.mark.parametrize(("first", "last", "ok"), [("2020-07", "2020-12", True), ("2020-08", "2021-01", False)])
def test_not_past_2020_12_once_49_is_known(first: str, last: str, ok: bool) -> None:
    if ok:
        assert applied(first_period=first, last_period=last)[0].last_period == "2020-12"  # type: ignore[attr-defined]
    else:
        assert fields(refused(InvalidDeferral, lambda: applied(first_period=first, last_period=last))) == {
            "last_period": "deferral.too_late"
        }
        # As known before 49号 there was no latest period: the same application passed under 11号 alone.
        event = applied(BEFORE_49, first_period=first, last_period=last)[0]
        assert isinstance(event, DeferralApplied) and [p.id for p in event.policies] == ["deferral-2020-11"]


@pytest.mark.parametrize("bad", ["medical", "maternity", "housing_fund"])
def test_only_pension_unemployment_and_work_injury_may_be_deferred(bad: str) -> None:
    err = refused(InvalidDeferral, lambda: applied(insurances=("pension", bad)))
    assert fields(err) == {"insurances.1": "deferral.insurance"} and "pension, unemployment, work_injury" in err.en


def test_insurances_neither_empty_nor_repeated() -> None:
    assert fields(refused(InvalidDeferral, lambda: applied(insurances=()))) == {"insurances": "deferral.no_insurance"}
    assert fields(refused(InvalidDeferral, lambda: applied(insurances=("pension", "pension")))) == {
        "insurances.1": "deferral.duplicate"
    }


def test_periods_outside_every_deferral_policy_or_malformed_are_refused() -> None:
    assert fields(refused(InvalidDeferral, lambda: applied(first_period="2020-01"))) == {"first_period": "deferral.no_policy"}
    assert fields(refused(InvalidDeferral, lambda: applied(first_period="2020-3"))) == {"first_period": "deferral.period"}
    assert fields(refused(InvalidDeferral, lambda: applied(first_period="2020-06", last_period="2020-04"))) == {
        "last_period": "deferral.period_order"
    }


def test_every_problem_of_an_application_is_named_at_once() -> None:
    err = refused(InvalidDeferral, lambda: applied(review_level="province", reason=" ", evidence=(), hardship=("生意不好",)))
    assert fields(err) == {
        "review_level": "deferral.level",
        "reason": "deferral.reason",
        "evidence": "deferral.evidence",
        "hardship.0": "deferral.hardship",
    }
    assert "证明材料" in err.zh and "evidence" in err.en


def test_hardship_is_one_of_the_policys_criteria_by_label_or_full_text() -> None:
    event = applied(hardship=("已拖欠工资", "连续亏损 (continuing losses)", "已拖欠工资"))[0]
    assert isinstance(event, DeferralApplied)
    assert event.hardship == ("已拖欠工资 (wages already in arrears)", "连续亏损 (continuing losses)")
    assert fields(refused(InvalidDeferral, lambda: applied(hardship=()))) == {"hardship": "deferral.hardship_missing"}


def test_a_payer_applies_only_for_itself_and_once_per_application() -> None:
    err = refused(NotAllowed, lambda: d.apply(DeferralState(), "x", inp(credit_code=OTHER), PAYER, POLICIES, NOW))
    assert err.status == 403 and err.field == "credit_code"
    state = fold(applied())
    assert refused(DeferralConflict, lambda: d.apply(state, "app-1", inp(), PAYER, POLICIES, NOW)).status == 409


# ---- county flow: opinions of finance, tax and 经信, then the county HR bureau decides --------------
def test_county_flow_opinions_then_hr_decides() -> None:
    history = applied()
    state = fold(history)
    assert state.status == UNDER_REVIEW and state.step is not None and state.step.step == "opinions"
    assert state.awaiting() == (("finance", "opinion"), ("tax", "opinion"), ("econ", "opinion"))
    err = refused(DeferralConflict, lambda: decide(history))
    assert err.code == "deferral.opinions_missing" and "finance" in err.en and "书面意见" in err.zh
    history = opinion(history, FIN)
    history = opinion(history, TAX, "oppose")
    assert "econ" in refused(DeferralConflict, lambda: decide(history)).en  # one opinion still missing
    history = opinion(history, ECON)
    state = fold(history)
    assert state.step is not None and state.step.step == "decision" and state.awaiting() == (("county_hr", "decision"),)
    assert refused(NotAllowed, lambda: decide(history, FIN)).code == "deferral.wrong_role"
    history = decide(history)
    approved = history[-1]
    assert isinstance(approved, DeferralApproved) and approved.department == "county_hr" and approved.role == "hr_officer"
    assert (approved.first_period, approved.last_period, approved.months) == ("2020-03", "2020-08", 6)
    assert approved.due_date == "2020-09-25"  # every deferred period falls due in the month after the last one
    assert [o.stance for o in fold(history).opinions] == ["support", "oppose", "support"]
    assert fold(history).status == APPROVED and fold(history).version == 5


def test_county_opinions_come_from_their_own_departments_once() -> None:
    history = applied()
    assert refused(NotAllowed, lambda: opinion(history, HR)).code == "deferral.wrong_role"
    assert refused(NotAllowed, lambda: opinion(history, FIN, department="tax")).status == 403
    history = opinion(history, FIN)
    assert refused(DeferralConflict, lambda: opinion(history, FIN)).code == "deferral.opinion_exists"
    assert refused(InvalidDeferral, lambda: act(history, d.record_opinion, TAX, "maybe", "同意", None, NOW)).field == "stance"
    assert refused(InvalidDeferral, lambda: act(history, d.record_opinion, TAX, "support", " ", None, NOW)).field == "opinion"
    assert refused(DeferralConflict, lambda: act(history, d.first_review, HR, True, "初审通过", None, NOW)).status == 409


def test_an_officer_holding_two_roles_names_the_department() -> None:
    both = Actor("desk", frozenset({"finance_officer", "tax_officer"}))
    assert refused(InvalidDeferral, lambda: opinion(applied(), both)).field == "department"
    history = opinion(applied(), both, department="tax")
    assert isinstance(history[-1], DeferralOpinionRecorded) and history[-1].department == "tax"
    history = opinion(history, both)  # only finance is still pending for this officer
    assert isinstance(history[-1], DeferralOpinionRecorded) and history[-1].department == "finance"


# ---- city flow: first review by the city social-insurance centre, then the joint review -----------
def test_city_flow_first_review_then_joint_review_rejects() -> None:
    history = applied(review_level="city")
    assert fold(history).awaiting() == (("city_social_insurance_centre", "first_review"),)
    assert refused(DeferralConflict, lambda: opinion(history, FIN)).code == "deferral.no_opinion_due"
    assert refused(DeferralConflict, lambda: decide(history)).code == "deferral.opinions_missing"
    assert refused(NotAllowed, lambda: act(history, d.first_review, TAX, True, "初审通过", None, NOW)).status == 403
    history = act(history, d.first_review, HR, True, "材料齐全，初审通过", None, NOW)
    assert isinstance(history[-1], DeferralFirstReviewed) and history[-1].outcome == "passed"
    state = fold(history)
    assert state.step is not None and state.step.step == "joint_review"
    assert state.awaiting() == (("finance", "opinion"), ("tax", "opinion"), ("econ", "opinion"))
    assert refused(DeferralConflict, lambda: decide(history)).code == "deferral.opinions_missing"
    for officer in (ECON, TAX, FIN):
        history = opinion(history, officer)
    assert fold(history).awaiting() == (("hr", "decision"),)
    history = act(history, d.decide, HR, False, "未达到严重困难标准", NOW, policies=POLICIES, due_day=due_25)
    rejected = history[-1]
    assert isinstance(rejected, DeferralRejected) and rejected.department == "hr" and rejected.step == "joint_review"
    assert fold(history).status == REJECTED
    assert refused(DeferralConflict, lambda: opinion(history, FIN)).code == "deferral.closed"


def test_city_flow_approval() -> None:
    history = act(applied(review_level="city"), d.first_review, HR, True, "初审通过", None, NOW)
    for officer in (FIN, TAX, ECON):
        history = opinion(history, officer)
    history = decide(history)
    assert isinstance(history[-1], DeferralApproved) and fold(history).status == APPROVED


def test_a_failed_first_review_rejects_the_application() -> None:
    history = act(applied(review_level="city"), d.first_review, HR, False, "缺少财务报表", None, NOW)
    assert [type(e).__name__ for e in history] == ["DeferralApplied", "DeferralFirstReviewed", "DeferralRejected"]
    assert fold(history).status == REJECTED and fold(history).rejected.step == "first_review"  # type: ignore[union-attr]


# ---- approval --------------------------------------------------------------------------------------
def _ready(**over: Any) -> list[Event]:
    history = applied(**over)
    for officer in (FIN, TAX, ECON):
        history = opinion(history, officer)
    return history


def test_approval_may_narrow_periods_and_insurances_but_not_widen() -> None:
    approved = decide(_ready(), first_period="2020-04", last_period="2020-06", insurances=("pension",))[-1]
    assert isinstance(approved, DeferralApproved)
    assert (approved.first_period, approved.last_period, approved.months, approved.insurances) == (
        "2020-04",
        "2020-06",
        3,
        ("pension",),
    )
    assert approved.due_date == "2020-07-25"
    assert fields(refused(InvalidDeferral, lambda: decide(_ready(), last_period="2020-09"))) == {
        "first_period": "deferral.outside_application",
        "last_period": "deferral.too_long",
    }
    err = refused(InvalidDeferral, lambda: decide(_ready(insurances=("pension",)), insurances=("pension", "unemployment")))
    assert fields(err) == {"insurances.1": "deferral.not_applied"}


def test_approval_checks_the_limits_known_when_deciding() -> None:
    history = d.apply(DeferralState(), "a", inp(first_period="2020-08", last_period="2021-01"), PAYER, POLICIES, BEFORE_49)
    for officer in (FIN, TAX, ECON):
        history = opinion(history, officer)
    assert fields(refused(InvalidDeferral, lambda: decide(history))) == {"last_period": "deferral.too_late"}
    assert decide(history, last_period="2020-12")[-1].last_period == "2020-12"  # type: ignore[attr-defined]
    assert isinstance(decide(history, now=BEFORE_49)[-1], DeferralApproved)


def test_the_due_date_is_kept_inside_the_month_after_the_last() -> None:
    approved = act(
        _ready(first_period="2020-03", last_period="2020-03"),
        d.decide,
        HR,
        True,
        "同意",
        NOW,
        policies=POLICIES,
        due_day=lambda r, p: 31,
    )
    assert approved[-1].due_date == "2020-04-30"  # type: ignore[attr-defined]


# ---- withdrawal and unknown applications --------------------------------------------------------
def test_the_payer_withdraws_only_its_own_application_before_a_decision() -> None:
    other = Actor("p2", frozenset({"payer"}), payer=OTHER)
    assert refused(NotAllowed, lambda: act(applied(), d.withdraw, other, "不再需要", NOW)).status == 403
    history = act(applied(), d.withdraw, PAYER, "资金已到位", NOW)
    assert fold(history).status == WITHDRAWN
    assert refused(DeferralConflict, lambda: act(history, d.withdraw, PAYER, "again", NOW)).code == "deferral.closed"
    assert refused(DeferralConflict, lambda: act(decide(_ready()), d.withdraw, PAYER, "late", NOW)).status == 409
    assert refused(DeferralNotFound, lambda: d.withdraw(DeferralState(), PAYER, "x", NOW)).status == 404


# ---- the flow is policy data -------------------------------------------------------------------------
def _regional(county_review: str) -> Any:
    text = (
        textwrap.dedent(
            """\
        id: deferral-test-320600
        document_number: 测试〔2020〕9号
        title: 测试缓缴审核流程
        issuer: 测试
        published: 2020-03-01
        kind: deferral
        periods: {from: 2020-02}
        scope: {regions: ["320600"]}
        overrides: deferral-2020-11
        parameters:
          county_review: %s
        """
        )
        % county_review
    )
    return POLICIES.with_policy(parse_policy(text))


def test_a_regional_flow_from_policy_data_is_followed() -> None:
    policies = _regional("[{step: decision, by: [county_hr], opinions_from: [tax]}]")
    history = applied(policies=policies, region="320600")
    assert fold(history).awaiting() == (("tax", "opinion"),)
    assert refused(NotAllowed, lambda: opinion(history, FIN)).status == 403  # finance is not asked there
    history = decide(opinion(history, TAX), policies=policies)
    assert isinstance(history[-1], DeferralApproved)
    assert [p.id for p in history[-1].policies] == ["deferral-2020-11", "deferral-2020-49", "deferral-test-320600"]
    assert fold(applied(policies=policies)).awaiting()[0] == ("finance", "opinion")  # other regions keep the default


@pytest.mark.parametrize(
    "flow",
    ["[{step: decision, by: [mayor]}]", "[{step: vote, by: [hr]}]", "[{step: opinions, by: [tax]}]", "[]"],
)
def test_a_flow_the_platform_cannot_follow_is_a_policy_fault(flow: str) -> None:
    err = refused(FlowDataError, lambda: applied(policies=_regional(flow), region="320600"))
    assert err.status == 503 and "county" in err.en


def test_overlapping_deferrals() -> None:
    a = ("2020-03", "2020-08", ("pension",))
    assert d.overlaps(a, ("2020-08", "2020-10", ("pension", "work_injury")))
    assert not d.overlaps(a, ("2020-09", "2020-10", ("pension",)))
    assert not d.overlaps(a, ("2020-03", "2020-08", ("unemployment",)))
