"""缓缴 Deferral API: request and response documents, and the view of an application."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from relief_calc.domain.deferral_events import Evidence, FlowStep
from relief_calc.domain.deferral_state import DEPARTMENT_ROLES, DeferralState

PeriodText = Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="费款所属期 YYYY-MM", examples=["2020-03"])]
CreditCode = Annotated[str, Field(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$", description="统一社会信用代码")]
RegionCode = Annotated[str, Field(pattern=r"^[0-9]{6}$", description="统筹区 6-digit code", examples=["510400"])]
Deferrable = Literal["pension", "unemployment", "work_injury", "medical", "maternity"]  # the policy decides which may be
Department = Literal["county_hr", "city_social_insurance_centre", "hr", "finance", "tax", "econ"]
Opinion = Annotated[str, Field(min_length=2, max_length=4000, description="书面意见, the department's written opinion")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EvidenceIn(_In):
    kind: Literal["financial_statement", "payroll", "production_notice", "tax_record", "other"]
    title: str = Field(min_length=1, max_length=200)
    reference: str = Field(min_length=1, max_length=200, description="the archive reference of the uploaded document")
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class DeferralApplicationIn(_In):
    """申请缓缴: the payer's application."""

    credit_code: CreditCode
    region: RegionCode
    review_level: Literal["county", "city"] = Field(description="where the payer is insured: 县（区）级 or 市本级")
    first_period: PeriodText
    last_period: PeriodText
    insurances: list[Deferrable] = Field(min_length=1, max_length=5)
    reason: str = Field(min_length=1, max_length=2000)
    hardship: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(default_factory=list, max_length=10)
    evidence: list[EvidenceIn] = Field(min_length=1, max_length=20)

    def evidence_items(self) -> tuple[Evidence, ...]:
        return tuple(Evidence(**e.model_dump()) for e in self.evidence)


class OpinionIn(_In):
    stance: Literal["support", "oppose"]
    opinion: Opinion
    department: Department | None = Field(default=None, description="only when the caller may act for several")


class FirstReviewIn(_In):
    outcome: Literal["passed", "failed"]
    opinion: Opinion
    department: Department | None = None


class DecisionIn(_In):
    decision: Literal["approve", "reject"]
    opinion: Opinion
    first_period: PeriodText | None = Field(default=None, description="approve fewer periods than applied for")
    last_period: PeriodText | None = None
    insurances: list[Deferrable] | None = Field(default=None, min_length=1, description="approve fewer insurances")


class WithdrawIn(_In):
    reason: str = Field(min_length=1, max_length=2000)


class StepOut(BaseModel):
    step: str
    by: list[str]
    opinions_from: list[str]
    roles: list[str]


class AwaitingOut(BaseModel):
    department: str
    role: str
    act: str  # opinion | first_review | decision


class ActOut(BaseModel):
    step: str
    department: str
    role: str
    officer: str
    opinion: str
    at: datetime
    stance: str | None = None  # opinions
    outcome: str | None = None  # first reviews


class DecisionOut(BaseModel):
    outcome: str  # approved | rejected | withdrawn
    at: datetime
    by: str
    department: str | None = None
    opinion: str | None = None
    first_period: str | None = None
    last_period: str | None = None
    months: int | None = None
    insurances: list[str] | None = None
    due_date: str | None = None


class DeferralOut(BaseModel):
    application_id: str
    credit_code: str
    region: str
    review_level: str
    status: str
    step: str | None
    awaiting: list[AwaitingOut]
    first_period: str
    last_period: str
    months: int
    insurances: list[str]
    reason: str
    hardship: list[str]
    evidence: list[Evidence]
    flow: list[StepOut]
    policies: list[str]
    applied_at: datetime
    opinions: list[ActOut]
    first_reviews: list[ActOut]
    decision: DecisionOut | None
    version: int


class DeferralSummaryOut(BaseModel):
    application_id: str
    credit_code: str
    region: str
    review_level: str
    status: str
    step: str | None
    awaiting: list[AwaitingOut]
    first_period: str
    last_period: str
    insurances: list[str]
    applied_at: datetime
    due_date: str | None


class DeferralPageOut(BaseModel):
    items: list[DeferralSummaryOut]
    next_page_token: str | None


class TermsOut(BaseModel):
    """The deferral terms in force for a region and fee period (what an application must keep)."""

    region: str
    fee_period: str
    insurances: list[str]
    max_months: int
    latest_period: str | None
    hardship_criteria: list[str]
    county_review: list[StepOut]
    city_review: list[StepOut]
    policies: list[str]


def step_out(step: FlowStep) -> StepOut:
    departments = dict.fromkeys((*step.by, *step.opinions_from))
    roles = sorted({DEPARTMENT_ROLES.get(d, "?") for d in departments})
    return StepOut(step=step.step, by=list(step.by), opinions_from=list(step.opinions_from), roles=roles)


def awaiting_out(pairs: list[list[str]] | tuple[tuple[str, str], ...]) -> list[AwaitingOut]:
    return [AwaitingOut(department=d, role=DEPARTMENT_ROLES.get(d, "?"), act=a) for d, a in pairs]


def deferral_out(state: DeferralState) -> DeferralOut:
    a = state.applied
    assert a is not None
    step = state.step
    decision = None
    if state.approved is not None:
        e = state.approved
        decision = DecisionOut(
            outcome="approved",
            at=e.at,
            by=e.officer,
            department=e.department,
            opinion=e.opinion,
            first_period=e.first_period,
            last_period=e.last_period,
            months=e.months,
            insurances=list(e.insurances),
            due_date=e.due_date,
        )
    elif state.rejected is not None:
        r = state.rejected
        decision = DecisionOut(outcome="rejected", at=r.at, by=r.officer, department=r.department, opinion=r.opinion)
    elif state.withdrawn is not None:
        w = state.withdrawn
        decision = DecisionOut(outcome="withdrawn", at=w.at, by=w.withdrawn_by, opinion=w.reason)
    return DeferralOut(
        application_id=a.application_id,
        credit_code=a.credit_code,
        region=a.region,
        review_level=a.review_level,
        status=state.status,
        step=step.step if step is not None else None,
        awaiting=awaiting_out(state.awaiting()),
        first_period=a.first_period,
        last_period=a.last_period,
        months=a.months,
        insurances=list(a.insurances),
        reason=a.reason,
        hardship=list(a.hardship),
        evidence=list(a.evidence),
        flow=[step_out(s) for s in a.flow],
        policies=[p.id for p in a.policies],
        applied_at=a.at,
        opinions=[
            ActOut(
                step=o.step, department=o.department, role=o.role, officer=o.officer, opinion=o.opinion, at=o.at, stance=o.stance
            )
            for o in state.opinions
        ],
        first_reviews=[
            ActOut(
                step=f.step,
                department=f.department,
                role=f.role,
                officer=f.officer,
                opinion=f.opinion,
                at=f.at,
                outcome=f.outcome,
            )
            for f in state.first_reviews
        ],
        decision=decision,
        version=state.version,
    )
