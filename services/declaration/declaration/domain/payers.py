"""Checking a payer's registry entry (参保单位登记): every field that is wrong, with why."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from declaration.domain.events import PayerProfile
from declaration.domain.issues import Issue
from refdata.codes import validate_credit_code
from refdata.enums import Insurance, UnitType
from refdata.errors import InvalidCode, RefdataError, UnknownRegion
from refdata.industries import validate_industry
from refdata.regions import CLASS_1_FLOATING_GRADES, FLOATING_GRADES, RegionCatalog


def check_payer(profile: PayerProfile, *, catalog: RegionCatalog, today: date) -> list[Issue]:
    issues: list[Issue] = []
    try:
        validate_credit_code(profile.credit_code)
    except InvalidCode as exc:
        issues.append(Issue("credit_code", "credit_code.invalid", exc.zh, exc.en))
    if profile.predecessor is not None:
        try:
            validate_credit_code(profile.predecessor)
        except InvalidCode as exc:
            issues.append(Issue("predecessor", "credit_code.invalid", exc.zh, exc.en))
    if not profile.name.strip():
        issues.append(Issue("name", "name.empty", "单位名称不能为空", "name is required"))
    try:
        UnitType(profile.unit_type)
    except ValueError:
        issues.append(
            Issue(
                "unit_type", "unit_type.unknown", f"未知单位类型 {profile.unit_type}", f"unknown unit type {profile.unit_type!r}"
            )
        )
    try:
        catalog.region(profile.region)
    except UnknownRegion as exc:
        issues.append(Issue("region", "region.unknown", exc.zh, exc.en))
    try:
        validate_industry(profile.industry_section, profile.industry_division)
    except RefdataError as exc:
        issues.append(Issue("industry", "industry.invalid", exc.zh, exc.en))
    if not 1 <= profile.work_injury_class <= 8:
        issues.append(Issue("work_injury.risk_class", "risk_class.range", "工伤风险类别应为 1–8", "risk class must be 1…8"))
    if profile.work_injury_grade is not None:
        issues += _check_grade(profile.work_injury_class, profile.work_injury_grade)
    seen: set[str] = set()
    for i, e in enumerate(profile.enrollments):
        try:
            Insurance(e.insurance)
        except ValueError:
            issues.append(
                Issue(
                    f"enrollments.{i}.insurance",
                    "insurance.unknown",
                    f"未知险种 {e.insurance}",
                    f"unknown insurance {e.insurance!r}",
                )
            )
        if e.insurance in seen:
            issues.append(Issue(f"enrollments.{i}.insurance", "insurance.duplicate", "险种重复", "insurance listed twice"))
        seen.add(e.insurance)
        if date.fromisoformat(e.since) > today:
            issues.append(
                Issue(f"enrollments.{i}.since", "since.future", "参保日期不能晚于今天", "insured-since date is in the future")
            )
    if not profile.enrollments:
        issues.append(Issue("enrollments", "enrollments.empty", "至少参加一个险种", "enrol in at least one insurance"))
    return issues


def _check_grade(risk_class: int, grade: str) -> list[Issue]:
    """人社部发〔2015〕71号: class 1 may float up only (1, 1.2, 1.5); classes 2–8 also down (0.5, 0.8)."""
    allowed = CLASS_1_FLOATING_GRADES if risk_class == 1 else FLOATING_GRADES
    if Decimal(grade) not in allowed:
        shown = ", ".join(str(g) for g in sorted(allowed))
        return [
            Issue(
                "work_injury.floating_grade",
                "grade.invalid",
                f"第{risk_class}类行业的浮动档次应为 {shown} 之一",
                f"floating grade of risk class {risk_class} must be one of {shown}",
            )
        ]
    return []
