"""The 2017 standard (国统字〔2017〕213号): both sides of every threshold of all 16 industry rows,
the industry codes mapped to rows, and the industries outside the standard."""

from __future__ import annotations

from decimal import Decimal

import pytest

from classification.domain.issues import Rejected
from classification.domain.sizes import ORDER, UNCLASSIFIABLE, Size
from classification.domain.standard import ROWS, Bounds, Indicator, Row, evaluate

# One industry code per row, as a payer's registry or a province file would carry it.
CODE_OF_ROW = {
    "agriculture": "A",
    "industry": "C13",
    "construction": "E",
    "wholesale": "51",
    "retail": "52",
    "transport": "54",
    "warehousing": "5920",
    "postal": "60",
    "accommodation": "61",
    "catering": "62",
    "information_transmission": "63",
    "software": "65",
    "real_estate_development": "7010",
    "property_management": "702",
    "leasing_business_services": "L",
    "other": "M",
}
STEP = {Indicator.X: Decimal(1), Indicator.Y: Decimal("0.0001"), Indicator.Z: Decimal("0.0001")}  # 1 person, 1 元


def test_the_table_has_the_16_rows_of_the_standard() -> None:
    assert len(ROWS) == 16 and set(CODE_OF_ROW) == {r.key for r in ROWS}


def _indicators(row: Row, probe: Bounds, value: Decimal) -> dict[str, object]:
    """Every other listed indicator far above its large bound, so `probe` alone decides."""
    values: dict[Indicator, Decimal] = {b.indicator: b.large * 10 for b in row.bounds}
    values[probe.indicator] = value
    x = values.get(Indicator.X)
    return {
        "headcount": None if x is None else int(x),
        "revenue": values.get(Indicator.Y),
        "assets": values.get(Indicator.Z),
    }


def _cases() -> list[object]:
    cases = []
    for row in ROWS:
        for b in row.bounds:
            for size, bound in ((Size.LARGE, b.large), (Size.MEDIUM, b.medium), (Size.SMALL, b.small)):
                below = ORDER[ORDER.index(size) + 1]
                cases.append(pytest.param(row, b, bound, size, id=f"{row.key}-{b.indicator}-{size}-at-{bound}"))
                cases.append(pytest.param(row, b, bound - STEP[b.indicator], below, id=f"{row.key}-{b.indicator}-{size}-below"))
    return cases


@pytest.mark.parametrize(("row", "probe", "value", "expected"), _cases())
def test_every_threshold_on_both_sides(row: Row, probe: Bounds, value: Decimal, expected: Size) -> None:
    result = evaluate(CODE_OF_ROW[row.key], **_indicators(row, probe, value))  # type: ignore[arg-type]
    assert result.row == row
    assert result.size == expected
    assert probe.indicator in result.decided_by
    assert {m.indicator: m.size for m in result.measures}[probe.indicator] == expected


def test_the_lowest_class_any_indicator_gives_wins() -> None:
    # DOMAIN.md §5: 工业 with X = 1200 staff and Y = 1500 万元 → small, decided by revenue
    result = evaluate("C", headcount=1200, revenue=Decimal(1500), assets=None)
    assert result.size == Size.SMALL and result.decided_by == (Indicator.Y,)
    assert [(m.indicator, m.size) for m in result.measures] == [(Indicator.X, Size.LARGE), (Indicator.Y, Size.SMALL)]


def test_micro_needs_only_one_indicator_below_small() -> None:
    result = evaluate("7010", headcount=None, revenue=Decimal(300000), assets=Decimal("1999.9999"))
    assert result.size == Size.MICRO and result.decided_by == (Indicator.Z,)


def test_ties_name_every_deciding_indicator() -> None:
    result = evaluate("51", headcount=30, revenue=Decimal(6000), assets=None)
    assert result.size == Size.MEDIUM and result.decided_by == (Indicator.X, Indicator.Y)


def test_indicators_the_row_does_not_list_are_not_used() -> None:
    result = evaluate("R", headcount=350, revenue=Decimal(1), assets=Decimal(1))
    assert result.size == Size.LARGE and [m.indicator for m in result.measures] == [Indicator.X]


@pytest.mark.parametrize(
    ("code", "row"),
    [
        ("C", "industry"),
        ("B06", "industry"),
        ("D44", "industry"),
        ("c13", "industry"),
        ("5910", "transport"),
        ("59", "warehousing"),
        ("58", "transport"),
        ("703", "other"),
        ("7090", "other"),
        ("85", "other"),
        ("O80", "other"),
        ("72", "leasing_business_services"),
        ("64", "information_transmission"),
        ("7020", "property_management"),
    ],
)
def test_industry_codes_find_their_row(code: str, row: str) -> None:
    assert evaluate(code, headcount=50, revenue=Decimal(50000), assets=Decimal(50000)).row.key == row  # type: ignore[union-attr]


@pytest.mark.parametrize("code", ["J", "66", "69", "P", "83", "S", "92", "T", "53", "84", "704", "7040"])
def test_industries_outside_the_standard_are_unclassifiable_never_micro(code: str) -> None:
    result = evaluate(code, headcount=1, revenue=Decimal(1), assets=Decimal(1))
    assert result.size == UNCLASSIFIABLE and result.row is None and result.reason_en and result.reason_zh
    assert result.measures == () and result.decided_by == ()


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("G", "industry.too_coarse"),
        ("F", "industry.too_coarse"),
        ("70", "industry.too_coarse"),
        ("K", "industry.too_coarse"),
        ("Z", "industry.format"),
        ("99", "industry.unknown"),
        ("C51", "industry.mismatch"),
        ("13x", "industry.format"),
        ("", "industry.format"),
    ],
)
def test_malformed_or_too_coarse_codes_are_refused_naming_the_field(code: str, reason: str) -> None:
    with pytest.raises(Rejected) as caught:
        evaluate(code, headcount=1, revenue=Decimal(1), assets=None)
    assert [(i.field, i.code) for i in caught.value.issues] == [("industry", reason)]


def test_a_missing_indicator_is_refused_naming_it() -> None:
    with pytest.raises(Rejected) as caught:
        evaluate("E", headcount=10, revenue=Decimal(500), assets=None)
    assert [(i.field, i.code) for i in caught.value.issues] == [("assets", "indicator.required")]


def test_negative_indicators_are_refused() -> None:
    with pytest.raises(Rejected) as caught:
        evaluate("C", headcount=-1, revenue=Decimal(-5), assets=None)
    assert {i.field for i in caught.value.issues} == {"headcount", "revenue"}
