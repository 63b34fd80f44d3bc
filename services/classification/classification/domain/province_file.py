"""The rows of a province's classification file (省级共享的企业划型数据), checked one by one.

Columns (English or Chinese headers): credit_code 统一社会信用代码, name 单位名称, industry 行业代码
(GB/T 4754-2017), size 企业规模, statistical_year 统计年度, source_version 数据版本; optional
headcount 从业人员, revenue 营业收入 and assets 资产总额 (万元). Every error of a row is reported,
each naming its column, so the province can fix the file in one go.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from classification.domain.issues import Issue
from classification.domain.sizes import parse_size
from refdata.codes import validate_credit_code
from refdata.errors import InvalidCode, InvalidIndustry
from refdata.industries import section, section_of

REQUIRED = ("credit_code", "name", "industry", "size", "statistical_year", "source_version")
OPTIONAL = ("headcount", "revenue", "assets")
HEADERS = {
    "统一社会信用代码": "credit_code",
    "单位名称": "name",
    "企业名称": "name",
    "行业代码": "industry",
    "企业规模": "size",
    "企业划型": "size",
    "统计年度": "statistical_year",
    "数据版本": "source_version",
    "从业人员": "headcount",
    "营业收入": "revenue",
    "资产总额": "assets",
}
FIRST_YEAR, LAST_YEAR = 2017, 2099  # the 2017 standard applies from the 2017 annual report on
_INDUSTRY = re.compile(r"^(?P<section>[A-T])?(?P<digits>\d{2,4})?$")
_AMOUNT = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,6})?$")


def column_of(header: str) -> str | None:
    """The canonical column a header names (`统一社会信用代码` → `credit_code`), None if unknown."""
    text = header.strip().lstrip("\ufeff")
    if text.lower() in REQUIRED or text.lower() in OPTIONAL:
        return text.lower()
    return HEADERS.get(text)


def missing_columns(columns: Iterable[str]) -> list[str]:
    present = set(columns)
    return [c for c in REQUIRED if c not in present]


@dataclass(frozen=True)
class ProvinceRow:
    """A row that passed every check."""

    row: int  # 1-based line of the data (the header is row 0)
    credit_code: str
    name: str
    industry: str
    size: str  # a Size or UNCLASSIFIABLE
    statistical_year: int
    source_version: str
    headcount: int | None = None
    revenue: Decimal | None = None
    assets: Decimal | None = None

    @property
    def has_indicators(self) -> bool:
        return self.headcount is not None or self.revenue is not None or self.assets is not None


@dataclass(frozen=True)
class RowError:
    row: int
    credit_code: str | None
    issues: tuple[Issue, ...]


def check_rows(rows: Iterable[tuple[int, Mapping[str, str]]]) -> tuple[list[ProvinceRow], list[RowError]]:
    """Each row checked; a second row for a credit code and year already in the file is an error
    (a duplicate), whether or not it agrees with the first."""
    good: list[ProvinceRow] = []
    bad: list[RowError] = []
    seen: dict[tuple[str, int], int] = {}
    for number, raw in rows:
        checked, issues = _check(raw)
        if checked is not None:
            first = seen.get((checked.credit_code, checked.statistical_year))
            if first is not None:
                issues.append(
                    Issue(
                        "credit_code",
                        "row.duplicate",
                        f"与第{first}行重复（同一单位同一统计年度）",
                        f"duplicate of row {first} (same credit code and statistical year)",
                    )
                )
            else:
                seen[(checked.credit_code, checked.statistical_year)] = number
        if issues or checked is None:
            bad.append(RowError(number, (raw.get("credit_code") or "").strip() or None, tuple(issues)))
        else:
            good.append(ProvinceRow(row=number, **checked.__dict__))
    return good, bad


@dataclass(frozen=True)
class _Fields:
    credit_code: str
    name: str
    industry: str
    size: str
    statistical_year: int
    source_version: str
    headcount: int | None
    revenue: Decimal | None
    assets: Decimal | None


def _check(raw: Mapping[str, str]) -> tuple[_Fields | None, list[Issue]]:
    value = {k: (raw.get(k) or "").strip() for k in (*REQUIRED, *OPTIONAL)}
    issues: list[Issue] = []
    for column in REQUIRED:
        if not value[column]:
            issues.append(Issue(column, f"{column}.empty", "必填项为空", f"{column} is required"))
    code = value["credit_code"].upper()
    if code:
        try:
            validate_credit_code(code)
        except InvalidCode as exc:
            issues.append(Issue("credit_code", "credit_code.invalid", exc.zh, exc.en))
    if value["industry"]:
        issues += _check_industry(value["industry"].upper())
    size = parse_size(value["size"]) if value["size"] else None
    if value["size"] and size is None:
        issues.append(
            Issue(
                "size",
                "size.unknown",
                f"未知企业规模“{value['size']}”",
                f"unknown size {value['size']!r} (large, medium, small, micro)",
            )
        )
    year = _year(value["statistical_year"], issues)
    headcount = _headcount(value["headcount"], issues)
    revenue = _amount("revenue", value["revenue"], issues)
    assets = _amount("assets", value["assets"], issues)
    if issues or size is None or year is None:
        return None, issues
    return _Fields(
        code, value["name"], value["industry"].upper(), str(size), year, value["source_version"], headcount, revenue, assets
    ), issues


def _check_industry(code: str) -> list[Issue]:
    m = _INDUSTRY.match(code)
    try:
        if m is None or not code:
            raise InvalidIndustry(f"行业代码“{code}”格式不正确", f"industry code {code!r} is malformed")
        actual = section_of(m["digits"]) if m["digits"] else section(m["section"]).code
        if m["section"] and actual != m["section"]:
            raise InvalidIndustry(
                f"行业大类{m['digits']}属于门类{actual}",
                f"division {m['digits']} belongs to section {actual}, not {m['section']}",
            )
    except InvalidIndustry as exc:
        return [Issue("industry", "industry.unknown", exc.zh, exc.en)]
    return []


def _year(text: str, issues: list[Issue]) -> int | None:
    if not text:
        return None
    if not text.isdigit() or not FIRST_YEAR <= int(text) <= LAST_YEAR:
        issues.append(
            Issue(
                "statistical_year",
                "statistical_year.invalid",
                f"统计年度应为{FIRST_YEAR}年以后的四位年份",
                f"statistical year must be a 4-digit year from {FIRST_YEAR}",
            )
        )
        return None
    return int(text)


def _headcount(text: str, issues: list[Issue]) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        issues.append(Issue("headcount", "headcount.invalid", "从业人员应为非负整数", "headcount must be a whole number ≥ 0"))
        return None
    return int(text)


def _amount(column: str, text: str, issues: list[Issue]) -> Decimal | None:
    if not text:
        return None
    try:
        if not _AMOUNT.match(text):
            raise InvalidOperation
        return Decimal(text)
    except InvalidOperation:
        issues.append(
            Issue(
                column,
                f"{column}.invalid",
                "金额应为非负数（万元，最多6位小数）",
                f"{column} must be a non-negative amount in 万元",
            )
        )
        return None
