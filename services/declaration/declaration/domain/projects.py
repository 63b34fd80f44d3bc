"""Construction projects insured per project (工程建设项目按项目参保的工伤保险, DOMAIN.md §2.5): the
general contractor (总承包单位, a registered payer) declares a project with its start date, its
planned construction months and its lump-sum work-injury premium.

The premium is given either as the contract price (fen) and the per-mille rate, and then computed
here — ``contract price × rate ÷ 1000``, rounded half-up to the fen once — or as the premium
itself. Checking and the project's aggregate (one stream per contractor and project code) are
pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from declaration.domain.events import PayerProfile, ProjectContent, ProjectCorrected, ProjectDeclared
from declaration.domain.issues import Conflict, Issue
from eventkit.events import Event

MAX_PLANNED_MONTHS = 600  # relief-calc's bound too: 50 years, far beyond any schedule
MAX_PRICE_FEN = 10**15  # 10 万亿元
MAX_RATE_PER_MILLE = Decimal(100)
EARLIEST_START = date(2000, 1, 1)


def project_stream(credit_code: str, project_code: str) -> str:
    return f"project-{credit_code}-{project_code}"


def project_id(credit_code: str, project_code: str) -> str:
    return f"{credit_code}-{project_code}"


@dataclass(frozen=True)
class ProjectInput:
    project_code: str
    name: str
    started: date
    planned_months: int
    contract_price_fen: int | None = None
    rate_per_mille: str | None = None
    premium_fen: int | None = None


def premium_of(contract_price_fen: int, rate_per_mille: Decimal) -> int:
    """``contract price × rate ‰``, half-up to the fen: ``(123_456_789, 1.5) → 185_185``."""
    exact = Decimal(contract_price_fen) * rate_per_mille / 1000
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def check_project(p: ProjectInput, *, today: date) -> tuple[int | None, list[Issue]]:
    """The premium in fen and every issue found (the premium is None when it cannot be known)."""
    issues: list[Issue] = []
    if p.started < EARLIEST_START:
        issues.append(Issue("started", "started.too_early", "开工日期早于 2000-01-01", "started is before 2000-01-01"))
    elif p.started.year > today.year + 2:
        issues.append(Issue("started", "started.too_late", "开工日期过远", "started is more than two years ahead"))
    if not 1 <= p.planned_months <= MAX_PLANNED_MONTHS:
        issues.append(
            Issue(
                "planned_months",
                "planned_months.range",
                f"计划工期应为 1–{MAX_PLANNED_MONTHS} 个月",
                f"planned_months must be 1 to {MAX_PLANNED_MONTHS}",
            )
        )
    premium, found = _premium(p)
    return premium, issues + found


def _premium(p: ProjectInput) -> tuple[int | None, list[Issue]]:
    price, rate_text, declared = p.contract_price_fen, p.rate_per_mille, p.premium_fen
    if price is None and rate_text is None:
        if declared is None:
            return None, [
                Issue(
                    "premium_fen",
                    "premium.missing",
                    "请填写工伤保险费，或合同价款与费率",
                    "give premium_fen, or contract_price_fen and rate_per_mille",
                )
            ]
        if not 0 < declared <= MAX_PRICE_FEN:
            return None, [Issue("premium_fen", "premium.range", "工伤保险费必须大于零", "premium_fen must be more than zero")]
        return declared, []
    if price is None or rate_text is None:
        missing = "contract_price_fen" if price is None else "rate_per_mille"
        return None, [Issue(missing, f"{missing}.missing", "合同价款与费率须同时填写", f"{missing} is needed with the other")]
    issues = []
    if not 0 < price <= MAX_PRICE_FEN:
        issues.append(
            Issue("contract_price_fen", "contract_price.range", "合同价款超出范围", "contract_price_fen is out of range")
        )
    try:
        rate = Decimal(rate_text)
    except InvalidOperation:
        rate = Decimal(-1)
    if not rate.is_finite() or not 0 < rate <= MAX_RATE_PER_MILLE:
        issues.append(
            Issue("rate_per_mille", "rate.range", "费率应在 0–100‰ 之间", "rate_per_mille must be above 0 and at most 100")
        )
    if issues:
        return None, issues
    premium = premium_of(price, rate)
    if premium <= 0:
        return None, [Issue("premium_fen", "premium.range", "工伤保险费必须大于零", "the premium comes to zero fen")]
    if declared is not None and declared != premium:
        return None, [
            Issue(
                "premium_fen",
                "premium.mismatch",
                f"工伤保险费应为 {premium} 分（合同价款 × 费率）",
                f"premium_fen must be {premium} (contract price × rate, half-up)",
            )
        ]
    return premium, []


def content(profile: PayerProfile, p: ProjectInput, premium_fen: int, revision: int) -> ProjectContent:
    return ProjectContent(
        project_id=project_id(profile.credit_code, p.project_code),
        project_code=p.project_code,
        credit_code=profile.credit_code,
        name=p.name,
        region=profile.region,
        unit_type=profile.unit_type,
        started=p.started.isoformat(),
        planned_months=p.planned_months,
        contract_price_fen=p.contract_price_fen,
        rate_per_mille=None if p.rate_per_mille is None else str(Decimal(p.rate_per_mille).normalize()),
        premium_fen=premium_fen,
        revision=revision,
    )


# ---- the aggregate: one project of one contractor -----------------------------------------------
@dataclass(frozen=True)
class ProjectState:
    version: int = 0
    project: ProjectContent | None = None


def fold_project(events: Iterable[Event]) -> ProjectState:
    state = ProjectState()
    for e in events:
        project = e.project if isinstance(e, ProjectDeclared | ProjectCorrected) else state.project
        state = ProjectState(state.version + 1, project)
    return state


def declare(state: ProjectState, project: ProjectContent) -> list[Event]:
    if state.project is not None:
        raise Conflict(
            "project.exists",
            f"工程项目 {project.project_code} 已申报（第 {state.project.revision} 版），如需修改请提交更正",
            f"project {project.project_code} is already declared (revision {state.project.revision}); send a correction",
            field="project_code",
        )
    return [ProjectDeclared(project=project)]


def correct(state: ProjectState, project: ProjectContent, reason: str) -> list[Event]:
    previous = state.project
    if previous is None:
        raise Conflict(
            "project.nothing_to_correct",
            f"工程项目 {project.project_code} 未申报",
            f"project {project.project_code} is not declared",
            field="project_code",
        )
    if previous.model_copy(update={"revision": project.revision}) == project:
        return []  # nothing changed: no new revision
    return [
        ProjectCorrected(
            project=project, previous_revision=previous.revision, previous_premium_fen=previous.premium_fen, reason=reason
        )
    ]
