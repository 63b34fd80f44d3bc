"""统计上大中小微型企业划分办法（2017）, 国统字〔2017〕213号: the size an enterprise's indicators give.

X = 从业人员 (persons), Y = 营业收入 (万元), Z = 资产总额 (万元); every lower bound is inclusive.
Large, medium and small must meet the lower bound of *every* indicator listed for the industry,
else the class drops a step until they do; micro needs only one. So the class is the lowest
class any single indicator gives, and the indicator(s) giving it decided it.

Industries (GB/T 4754-2017 codes) are matched to the standard's 16 rows by `resolve`; an industry
outside the standard (finance J, education P, public administration S, international bodies T,
railways 53, health 84, owner-occupied real estate 704) is *unclassifiable*: manual review,
never silently micro. A code too coarse to pick a row (section G spans railways, transport,
warehousing and postal services) is refused with the reason, for the caller to give the division.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from classification.domain.issues import Issue, Rejected
from classification.domain.sizes import UNCLASSIFIABLE, Size, smallest
from refdata.errors import InvalidIndustry
from refdata.industries import section, section_of


class Indicator(StrEnum):
    X = "X"  # 从业人员 headcount, persons
    Y = "Y"  # 营业收入 revenue, 万元
    Z = "Z"  # 资产总额 total assets, 万元


FIELD = {Indicator.X: "headcount", Indicator.Y: "revenue", Indicator.Z: "assets"}


@dataclass(frozen=True)
class Bounds:
    """The lower bounds (inclusive) of large, medium and small for one indicator."""

    indicator: Indicator
    large: Decimal
    medium: Decimal
    small: Decimal

    def size_of(self, value: Decimal) -> Size:
        if value >= self.large:
            return Size.LARGE
        if value >= self.medium:
            return Size.MEDIUM
        if value >= self.small:
            return Size.SMALL
        return Size.MICRO


@dataclass(frozen=True)
class Row:
    """One industry row of the standard's table."""

    key: str
    name_zh: str
    bounds: tuple[Bounds, ...]

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(b.indicator for b in self.bounds)


def _row(key: str, name_zh: str, *bounds: tuple[Indicator, int, int, int]) -> Row:
    return Row(
        key, name_zh, tuple(Bounds(i, Decimal(large), Decimal(medium), Decimal(small)) for i, large, medium, small in bounds)
    )


X, Y, Z = Indicator.X, Indicator.Y, Indicator.Z
# The table of 国统字〔2017〕213号 (附表), in its order.
ROWS: tuple[Row, ...] = (
    _row("agriculture", "农、林、牧、渔业", (Y, 20000, 500, 50)),
    _row("industry", "工业", (X, 1000, 300, 20), (Y, 40000, 2000, 300)),
    _row("construction", "建筑业", (Y, 80000, 6000, 300), (Z, 80000, 5000, 300)),
    _row("wholesale", "批发业", (X, 200, 20, 5), (Y, 40000, 5000, 1000)),
    _row("retail", "零售业", (X, 300, 50, 10), (Y, 20000, 500, 100)),
    _row("transport", "交通运输业", (X, 1000, 300, 20), (Y, 30000, 3000, 200)),
    _row("warehousing", "仓储业", (X, 200, 100, 20), (Y, 30000, 1000, 100)),
    _row("postal", "邮政业", (X, 1000, 300, 20), (Y, 30000, 2000, 100)),
    _row("accommodation", "住宿业", (X, 300, 100, 10), (Y, 10000, 2000, 100)),
    _row("catering", "餐饮业", (X, 300, 100, 10), (Y, 10000, 2000, 100)),
    _row("information_transmission", "信息传输业", (X, 2000, 100, 10), (Y, 100000, 1000, 100)),
    _row("software", "软件和信息技术服务业", (X, 300, 100, 10), (Y, 10000, 1000, 50)),
    _row("real_estate_development", "房地产开发经营", (Y, 200000, 1000, 100), (Z, 10000, 5000, 2000)),
    _row("property_management", "物业管理", (X, 1000, 300, 100), (Y, 5000, 1000, 500)),
    _row("leasing_business_services", "租赁和商务服务业", (X, 300, 100, 10), (Z, 120000, 8000, 100)),
    _row("other", "其他未列明行业", (X, 300, 100, 10)),
)
ROW_BY_KEY = {r.key: r for r in ROWS}

_BY_SECTION = {"A": "agriculture", "B": "industry", "C": "industry", "D": "industry", "E": "construction"}
_BY_SECTION |= {"L": "leasing_business_services", "M": "other", "N": "other", "O": "other", "R": "other"}
_BY_DIVISION = {"51": "wholesale", "52": "retail", "60": "postal", "61": "accommodation", "62": "catering"}
_BY_DIVISION |= {d: "transport" for d in ("54", "55", "56", "57", "58")}
_BY_DIVISION |= {"63": "information_transmission", "64": "information_transmission", "65": "software", "85": "other"}
_OUTSIDE_SECTIONS = {
    "J": ("金融业不在划分办法适用范围内", "finance (J) is outside the standard"),
    "P": ("教育不在划分办法适用范围内", "education (P) is outside the standard"),
    "S": ("公共管理、社会保障和社会组织不在划分办法适用范围内", "public administration (S) is outside the standard"),
    "T": ("国际组织不在划分办法适用范围内", "international organisations (T) are outside the standard"),
}
_OUTSIDE_DIVISIONS = {
    "53": ("铁路运输业不在划分办法适用范围内", "railway transport (53) is outside the standard"),
    "84": (
        "卫生（84）不在划分办法适用范围内，仅社会工作（85）适用",
        "health (84) is outside the standard; only social work (85) is in",
    ),
}
_CODE = re.compile(r"^(?P<section>[A-T])?(?P<digits>\d{2,4})?$")


@dataclass(frozen=True)
class Resolved:
    """What an industry code maps to: a row of the standard, or why it has none."""

    code: str
    row: Row | None
    reason_zh: str = ""
    reason_en: str = ""


def _coarse(code: str, what: str) -> Rejected:
    return Rejected(
        [
            Issue(
                "industry",
                "industry.too_coarse",
                f"行业代码“{code}”对应划分办法的多个行业，请给出{what}",
                f"industry {code!r} spans several rows of the standard; give the {'division' if what == '大类' else 'group or class'}",
            )
        ]
    )


def resolve(code: str) -> Resolved:
    """Map a GB/T 4754-2017 code (`C`, `C13`, `13`, `7010`, `702`) to its row of the standard."""
    text = code.strip().upper()
    m = _CODE.match(text)
    if not text or m is None:
        raise Rejected(
            [Issue("industry", "industry.format", f"行业代码“{code}”格式不正确", f"industry code {code!r} is malformed")]
        )
    letter, digits = m["section"], m["digits"]
    try:
        actual = section_of(digits) if digits else section(letter).code
    except InvalidIndustry as exc:
        raise Rejected([Issue("industry", "industry.unknown", exc.zh, exc.en)]) from None
    if letter and actual != letter:
        raise Rejected(
            [
                Issue(
                    "industry",
                    "industry.mismatch",
                    f"行业大类{digits}属于门类{actual}，不属于门类{letter}",
                    f"division {digits} belongs to section {actual}, not {letter}",
                )
            ]
        )
    if actual in _OUTSIDE_SECTIONS:
        return Resolved(text, None, *_OUTSIDE_SECTIONS[actual])
    if digits is None:
        key = _BY_SECTION.get(actual)
        if key is None:
            raise _coarse(text, "大类")
        return Resolved(text, ROW_BY_KEY[key])
    division = digits[:2]
    if division in _OUTSIDE_DIVISIONS:
        return Resolved(text, None, *_OUTSIDE_DIVISIONS[division])
    if division == "59":  # 装卸搬运 (591) is transport; the rest of 59 is warehousing (仓储业)
        return Resolved(text, ROW_BY_KEY["transport" if digits.startswith("591") else "warehousing"])
    if division == "70":
        return _real_estate(text, digits)
    key = _BY_DIVISION.get(division) or _BY_SECTION.get(actual)
    if key is None:
        raise _coarse(text, "大类")
    return Resolved(text, ROW_BY_KEY[key])


def _real_estate(text: str, digits: str) -> Resolved:
    """房地产业 70 is split by the standard: development (7010), property management (702), agency
    and other real estate (703, 709) as 'other'; owner-occupied real estate (704) is outside it."""
    group = digits[:3]
    if len(digits) < 3:
        raise _coarse(text, "中类或小类（如7010、702）")
    if group == "701":
        return Resolved(text, ROW_BY_KEY["real_estate_development"])
    if group == "702":
        return Resolved(text, ROW_BY_KEY["property_management"])
    if group in ("703", "709"):
        return Resolved(text, ROW_BY_KEY["other"])
    return Resolved(
        text, None, "自有房地产经营活动不在划分办法适用范围内", "owner-occupied real estate (704) is outside the standard"
    )


@dataclass(frozen=True)
class Measure:
    """The class one indicator gives on its own."""

    indicator: Indicator
    value: Decimal
    size: Size


@dataclass(frozen=True)
class Evaluation:
    industry: str
    row: Row | None
    size: str  # a Size, or UNCLASSIFIABLE
    measures: tuple[Measure, ...] = ()
    decided_by: tuple[Indicator, ...] = ()
    reason_zh: str = ""
    reason_en: str = ""

    @property
    def classifiable(self) -> bool:
        return self.row is not None


def evaluate(industry: str, *, headcount: int | None, revenue: Decimal | None, assets: Decimal | None) -> Evaluation:
    """The class the indicators give under the 2017 standard (Rejected: malformed or missing input)."""
    resolved = resolve(industry)
    if resolved.row is None:
        return Evaluation(resolved.code, None, UNCLASSIFIABLE, reason_zh=resolved.reason_zh, reason_en=resolved.reason_en)
    row = resolved.row
    given = {Indicator.X: None if headcount is None else Decimal(headcount), Indicator.Y: revenue, Indicator.Z: assets}
    issues = [
        Issue(FIELD[i], "indicator.negative", "指标不能为负数", "an indicator cannot be negative")
        for i, v in given.items()
        if v is not None and v < 0
    ]
    issues += [
        Issue(
            FIELD[b.indicator],
            "indicator.required",
            f"{row.name_zh}按{'、'.join(row.indicators)}划分，缺少指标{b.indicator}",
            f"{row.key} is classified by {', '.join(row.indicators)}; indicator {b.indicator} ({FIELD[b.indicator]}) is missing",
        )
        for b in row.bounds
        if given[b.indicator] is None
    ]
    if issues:
        raise Rejected(issues)
    measures = tuple(Measure(b.indicator, v, b.size_of(v)) for b in row.bounds if (v := given[b.indicator]) is not None)
    size = smallest([m.size for m in measures])
    decided = tuple(m.indicator for m in measures if m.size == size)
    return Evaluation(resolved.code, row, size, measures, decided)
