"""Checking a monthly declaration (申报数据校验) and computing its original amounts.

Pure functions of the payer's profile, the region's parameters and the declared lines. The same
checks serve `POST …/declarations` and the frontend's self-check `POST …/declarations:check`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from declaration.domain.events import PayerProfile
from declaration.domain.issues import Issue
from refdata.codes import validate_id_number
from refdata.enums import Insurance
from refdata.errors import RefdataError
from refdata.money import contribution_fen
from refdata.periods import FeePeriod
from refdata.regions import RegionCatalog, RegionParameters

MAX_HEADCOUNT = 1_000_000
MAX_BASE_FEN = 10**13  # 1,000 亿元: far above any real payer, far below integer overflow anywhere


@dataclass(frozen=True)
class EmployeeInput:
    id_number: str
    name: str
    base_fen: int


@dataclass(frozen=True)
class LineInput:
    insurance: str
    headcount: int
    base_fen: int
    employees: tuple[EmployeeInput, ...] = ()


@dataclass(frozen=True)
class DeclarationInput:
    fee_period: str
    lines: tuple[LineInput, ...]


@dataclass(frozen=True)
class ComputedLine:
    insurance: Insurance
    headcount: int
    base_fen: int
    employer_rate: Decimal
    individual_rate: Decimal
    employer_original_rate: Decimal | None
    employer_fen: int
    individual_fen: int
    employees: tuple[EmployeeInput, ...] = ()


@dataclass(frozen=True)
class CheckResult:
    issues: list[Issue] = field(default_factory=list)
    period: FeePeriod | None = None
    parameters: RegionParameters | None = None

    @property
    def ok(self) -> bool:
        return not self.issues


def check(payer: PayerProfile, decl: DeclarationInput, *, catalog: RegionCatalog, today: date) -> CheckResult:
    issues: list[Issue] = []
    try:
        period = FeePeriod.parse(decl.fee_period)
    except ValueError:
        return CheckResult([Issue("fee_period", "fee_period.format", "费款所属期格式应为 YYYY-MM", "fee period must be YYYY-MM")])
    if period > FeePeriod.from_date(today):
        issues.append(
            Issue("fee_period", "fee_period.future", f"费款所属期 {period} 尚未到来", f"fee period {period} is in the future")
        )
    try:
        params = catalog.parameters(payer.region, period)
    except RefdataError:  # no parameters for the period (or the region is no longer supported)
        issues.append(
            Issue(
                "fee_period",
                "fee_period.no_parameters",
                f"统筹区 {payer.region} 没有 {period} 的缴费参数",
                f"region {payer.region} has no parameters for {period}",
            )
        )
        return CheckResult(issues, period)
    if not decl.lines:
        issues.append(Issue("lines", "lines.empty", "至少申报一个险种", "declare at least one insurance"))
    enrolled = {e.insurance: FeePeriod.from_date(date.fromisoformat(e.since)) for e in payer.enrollments}
    seen: set[str] = set()
    for i, line in enumerate(decl.lines):
        issues += _check_line(f"lines.{i}", line, period, params, enrolled, seen)
    return CheckResult(issues, period, params)


def _check_line(
    at: str, line: LineInput, period: FeePeriod, params: RegionParameters, enrolled: dict[str, FeePeriod], seen: set[str]
) -> list[Issue]:
    issues: list[Issue] = []
    try:
        insurance = Insurance(line.insurance)
    except ValueError:
        return [
            Issue(f"{at}.insurance", "insurance.unknown", f"未知险种 {line.insurance}", f"unknown insurance {line.insurance!r}")
        ]
    if insurance in seen:
        issues.append(
            Issue(f"{at}.insurance", "insurance.duplicate", f"险种 {insurance.zh} 重复申报", f"{insurance} is declared twice")
        )
    seen.add(insurance)
    since = enrolled.get(insurance)
    if since is None:
        issues.append(
            Issue(
                f"{at}.insurance", "insurance.not_enrolled", f"未参加{insurance.zh}", f"the payer is not enrolled in {insurance}"
            )
        )
    elif period < since:
        issues.append(
            Issue(
                f"{at}.insurance",
                "insurance.before_enrollment",
                f"费款所属期早于{insurance.zh}参保月份 {since}",
                f"fee period is before the payer was insured for {insurance} ({since})",
            )
        )
    ranges: list[Issue] = []
    if not 0 <= line.headcount <= MAX_HEADCOUNT:
        ranges.append(
            Issue(
                f"{at}.headcount",
                "headcount.range",
                f"人数应在 0 至 {MAX_HEADCOUNT} 之间",
                f"headcount must be 0…{MAX_HEADCOUNT}",
            )
        )
    if not 0 <= line.base_fen <= MAX_BASE_FEN:
        ranges.append(
            Issue(f"{at}.base_fen", "base.range", "缴费基数总额超出合理范围", f"total base must be 0…{MAX_BASE_FEN} fen")
        )
    if ranges:  # the band checks below need sane numbers
        return issues + ranges
    if line.employees:
        issues += _check_employees(at, line, params)
    elif line.headcount == 0 and line.base_fen != 0:
        issues.append(
            Issue(f"{at}.base_fen", "base.without_staff", "人数为 0 时基数应为 0", "base must be 0 when headcount is 0")
        )
    else:
        low, high = line.headcount * params.base_floor_fen, line.headcount * params.base_ceiling_fen
        if not low <= line.base_fen <= high:
            issues.append(_band_issue(f"{at}.base_fen", params, per_head=True))
    return issues


def _band_issue(field: str, params: RegionParameters, *, per_head: bool) -> Issue:
    floor, ceiling = params.base_floor_fen, params.base_ceiling_fen
    zh_what, en_what = ("人均缴费基数", "average base per employee") if per_head else ("缴费基数", "base")
    return Issue(
        field,
        "base.band",
        f"{zh_what}应在 {floor / 100:.2f} 至 {ceiling / 100:.2f} 元之间（上年度全口径平均工资的 60%–300%）",
        f"{en_what} must lie in {floor}…{ceiling} fen (60 %–300 % of the average wage)",
    )


def _check_employees(at: str, line: LineInput, params: RegionParameters) -> list[Issue]:
    issues: list[Issue] = []
    if len(line.employees) != line.headcount:
        issues.append(
            Issue(
                f"{at}.employees",
                "employees.count",
                "明细人数与申报人数不一致",
                f"{len(line.employees)} employees listed, headcount says {line.headcount}",
            )
        )
    if sum(e.base_fen for e in line.employees) != line.base_fen:
        issues.append(
            Issue(
                f"{at}.base_fen",
                "base.sum",
                "缴费基数总额与明细之和不一致",
                "total base differs from the sum of the employees' bases",
            )
        )
    ids: set[str] = set()
    for j, emp in enumerate(line.employees):
        where = f"{at}.employees.{j}"
        try:
            validate_id_number(emp.id_number)
        except RefdataError as exc:
            issues.append(Issue(f"{where}.id_number", "id_number.invalid", exc.zh, exc.en))
        if emp.id_number in ids:
            issues.append(Issue(f"{where}.id_number", "id_number.duplicate", "同一人重复申报", "the same person is listed twice"))
        ids.add(emp.id_number)
        if not emp.name.strip():
            issues.append(Issue(f"{where}.name", "name.empty", "姓名不能为空", "name is required"))
        if not params.base_floor_fen <= emp.base_fen <= params.base_ceiling_fen:
            issues.append(_band_issue(f"{where}.base_fen", params, per_head=False))
    return issues


def compute(payer: PayerProfile, decl: DeclarationInput, params: RegionParameters) -> list[ComputedLine]:
    """Original employer and individual amounts per insurance: base × rate, rounded to the fen by
    the region's rounding mode (default half-up). Work injury uses the payer's floating rate."""
    out = []
    for line in decl.lines:
        insurance = Insurance(line.insurance)
        if insurance is Insurance.WORK_INJURY:
            grade = Decimal(payer.work_injury_grade) if payer.work_injury_grade else None
            employer_rate = params.work_injury_rate(payer.work_injury_class, grade)
            before_cut = params.work_injury_original_rate(payer.work_injury_class, grade)
            individual_rate, original = Decimal(0), (before_cut if before_cut != employer_rate else None)
        else:
            rates = params.rates[insurance]
            employer_rate, individual_rate, original = rates.employer, rates.individual, rates.employer_original
        out.append(
            ComputedLine(
                insurance=insurance,
                headcount=line.headcount,
                base_fen=line.base_fen,
                employer_rate=employer_rate,
                individual_rate=individual_rate,
                employer_original_rate=original,
                employer_fen=contribution_fen(line.base_fen, employer_rate, params.rounding),
                individual_fen=contribution_fen(line.base_fen, individual_rate, params.rounding),
                employees=line.employees,
            )
        )
    return out
