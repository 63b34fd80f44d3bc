"""Checking a province file's rows and planning its import (pure: no database)."""

from __future__ import annotations

from classification.domain import imports as planner
from classification.domain.events import EnterpriseSizeAssigned, PeriodRange, SizeReviewFlagged
from classification.domain.province_file import check_rows, column_of
from classification.domain.size_state import SizeState, fold, governed_periods
from refdata.codes import make_credit_code

A = make_credit_code("91510400MA62000A1")
B = make_credit_code("91510400MA62000B2")


def row(**over: str) -> dict[str, str]:
    base = {
        "credit_code": A,
        "name": "攀枝花某某钢铁有限公司",
        "industry": "C31",
        "size": "large",
        "statistical_year": "2019",
        "source_version": "川统2020-01",
    }
    return {**base, **over}


def codes(raw: list[dict[str, str]]) -> list[list[tuple[str, str]]]:
    _, bad = check_rows(enumerate(raw, start=1))
    return [[(i.field, i.code) for i in e.issues] for e in bad]


def test_headers_in_english_or_chinese() -> None:
    assert [column_of(h) for h in ("统一社会信用代码", "\ufeffcredit_code", "企业规模", "Size", "备注")] == [
        "credit_code",
        "credit_code",
        "size",
        "size",
        None,
    ]


def test_every_error_of_a_row_is_reported_with_its_column() -> None:
    bad_check = A[:17] + ("0" if A[17] != "0" else "1")
    assert codes([row(credit_code=bad_check)]) == [[("credit_code", "credit_code.invalid")]]
    assert codes([row(credit_code="91510400ABC")]) == [[("credit_code", "credit_code.invalid")]]
    assert codes([row(size="huge", industry="Z99", statistical_year="19")]) == [
        [("industry", "industry.unknown"), ("size", "size.unknown"), ("statistical_year", "statistical_year.invalid")]
    ]
    assert codes([row(name="", revenue="1,500")]) == [[("name", "name.empty"), ("revenue", "revenue.invalid")]]


def test_a_second_row_for_the_same_payer_and_year_is_a_duplicate() -> None:
    good, bad = check_rows(enumerate([row(), row(size="small"), row(statistical_year="2020")], start=1))
    assert [r.row for r in good] == [1, 3]
    assert [(e.row, e.issues[0].code) for e in bad] == [(2, "row.duplicate")]


def test_sizes_in_chinese_and_indicators_are_read_exactly() -> None:
    good, bad = check_rows(enumerate([row(size="小型", headcount="25", revenue="350.5", assets="")], start=1))
    assert not bad and good[0].size == "small" and str(good[0].revenue) == "350.5" and good[0].assets is None


def test_statistical_year_2019_governs_the_fee_periods_of_2020() -> None:
    assert governed_periods(2019) == PeriodRange(first="2020-01", last="2020-12")


def _assigned(code: str, size: str, year: int = 2019) -> EnterpriseSizeAssigned:
    return EnterpriseSizeAssigned(
        credit_code=code, size=size, statistical_year=year, periods=governed_periods(year), source_version="v1", import_id="x"
    )


def test_plan_new_changed_unchanged_and_flags() -> None:
    good, _ = check_rows(
        enumerate(
            [
                row(),  # A: already large for 2019 → unchanged
                row(credit_code=B, size="small"),  # B: already medium for 2019 → changed, held
                row(credit_code=B, size="small", statistical_year="2020", headcount="1200", revenue="1500"),  # new, consistent
                row(statistical_year="2020", size="large", headcount="1200", revenue="1500"),  # new, indicators say small
            ],
            start=1,
        )
    )
    states = {A: fold([_assigned(A, "large")]), B: fold([_assigned(B, "medium")])}
    p = planner.plan(good, [], states)
    assert [(o.status, o.current_size, o.expected_size) for o in p.outcomes] == [
        ("unchanged", "large", None),
        ("changed", "medium", None),
        ("new", None, None),
        ("new", None, "small"),
    ]
    assert planner.events_for(p.outcomes[0], "imp") == []
    held = planner.events_for(p.outcomes[1], "imp")
    assert [type(e) for e in held] == [SizeReviewFlagged] and held[0].kind == "size_change_held"  # type: ignore[attr-defined]
    new = planner.events_for(p.outcomes[3], "imp")
    assert [type(e) for e in new] == [EnterpriseSizeAssigned, SizeReviewFlagged]
    assert new[0].size == "large" and new[0].periods == PeriodRange(first="2021-01", last="2021-12")  # type: ignore[attr-defined]
    assert new[1].kind == "indicators_contradict" and new[1].expected_size == "small"  # type: ignore[attr-defined]


def test_size_in_force_prefers_the_latest_correction() -> None:
    state: SizeState = fold([_assigned(A, "large")])
    assert state.size_for("2020-03") == "large" and state.size_for("2021-01") is None
