"""Request and response bodies of the declaration API. Personal data is accepted in clear over
TLS, sealed before it is recorded, and only ever returned masked."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CreditCode = Field(
    pattern=r"^[0-9A-HJ-NP-RTUWXY]{18}$", description="统一社会信用代码 (18 characters)", examples=["91320600MA1MXXXX0X"]
)
FeePeriodText = Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="费款所属期 YYYY-MM", examples=["2020-03"])
InsuranceName = Literal["pension", "unemployment", "work_injury", "medical", "maternity"]
UnitTypeName = Literal["enterprise", "individual_business", "social_organization", "public_institution", "flexible_worker"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class IndustryIn(_In):
    section: str = Field(pattern=r"^[A-T]$", description="GB/T 4754-2017 门类")
    division: str | None = Field(default=None, pattern=r"^[0-9]{2}$", description="GB/T 4754-2017 大类")


class WorkInjuryIn(_In):
    risk_class: int = Field(ge=1, le=8, description="工伤风险类别 1–8")
    floating_grade: Literal["0.5", "0.8", "1", "1.2", "1.5"] | None = Field(
        default=None, description="浮动档次: multiplier of the class rate (人社部发〔2015〕71号); class 1 only 1, 1.2, 1.5"
    )


class EnrollmentIn(_In):
    insurance: InsuranceName
    since: date = Field(description="参保日期")


class BankAccountIn(_In):
    bank_name: str = Field(min_length=1, max_length=100)
    account_number: str = Field(pattern=r"^[0-9]{8,30}$", description="refund account; stored encrypted, returned masked")


class ContactIn(_In):
    name: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, pattern=r"^[0-9+\- ]{5,20}$")


class LegalRepresentativeIn(_In):
    name: str = Field(min_length=1, max_length=50, description="法定代表人; stored encrypted, returned masked")
    id_number: str = Field(pattern=r"^[0-9]{17}[0-9X]$", description="居民身份证号码; stored encrypted, returned masked")


class PayerFields(_In):
    name: str = Field(min_length=1, max_length=200)
    unit_type: UnitTypeName
    region: str = Field(pattern=r"^[0-9]{6}$", description="统筹区 code; see GET /v1/regions")
    industry: IndustryIn
    work_injury: WorkInjuryIn
    enrollments: list[EnrollmentIn] = Field(min_length=1, max_length=5)
    bank_account: BankAccountIn | None = None
    contact: ContactIn | None = None
    legal_representative: LegalRepresentativeIn | None = None
    address: str | None = Field(default=None, min_length=1, max_length=200, description="注册地址 (registered address)")


class PayerIn(PayerFields):
    credit_code: str = CreditCode
    predecessor: str | None = Field(
        default=None, pattern=r"^[0-9A-HJ-NP-RTUWXY]{18}$", description="the group this entity split from"
    )
    split_effective_period: str | None = Field(default=None, pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")


class MaskedOut(BaseModel):
    masked: str


class PayerOut(BaseModel):
    credit_code: str
    name: str
    unit_type: str
    region: str
    industry_section: str
    industry_division: str | None
    work_injury_class: int
    work_injury_grade: str | None
    enrollments: list[EnrollmentIn]
    bank_name: str | None
    bank_account: MaskedOut | None
    contact_name: MaskedOut | None
    contact_phone: MaskedOut | None
    legal_representative_name: MaskedOut | None = None
    legal_representative_id: MaskedOut | None = None
    address: str | None = None
    predecessor: str | None
    successors: list[str]
    version: int


class EmployeeIn(_In):
    id_number: str = Field(pattern=r"^[0-9]{17}[0-9X]$", description="居民身份证号码; stored encrypted, returned masked")
    name: str = Field(min_length=1, max_length=50)
    base_fen: int = Field(ge=0, le=10**10)


class LineIn(_In):
    insurance: InsuranceName
    headcount: int = Field(ge=0, le=1_000_000)
    base_fen: int = Field(ge=0, le=10**13, description="total contribution base of the line, in fen")
    employees: list[EmployeeIn] | None = Field(default=None, max_length=20_000)


class CorrectionIn(_In):
    reason: str = Field(min_length=1, max_length=500)


class DeclarationIn(_In):
    fee_period: str = FeePeriodText
    lines: list[LineIn] = Field(min_length=1, max_length=5)
    correction: CorrectionIn | None = Field(default=None, description="present for 更正申报: replaces the current revision")


class VoidIn(_In):
    reason: str = Field(min_length=1, max_length=500)


class AuditDecisionIn(_In):
    decision: Literal["approve", "reject"]
    note: str = Field(default="", max_length=500)


class EmployeeOut(BaseModel):
    id_number: MaskedOut
    name: MaskedOut
    base_fen: int


class LineOut(BaseModel):
    insurance: str
    headcount: int
    base_fen: int
    employer_rate: str
    individual_rate: str
    employer_original_rate: str | None
    employer_fen: int
    individual_fen: int
    employees: list[EmployeeOut] = []


AssessmentStatusName = Literal["pending_assessment", "held_for_audit", "assessed", "provisional", "withdrawn", "not_applicable"]
ASSESSMENT_STATUS_DOC = (
    "assessed / provisional: relief-calc assessed the current revision (provisional: enterprise size not known "
    "yet, assessed as large); pending_assessment: not yet assessed, or the figures are of an older revision; "
    "held_for_audit: not assessed before an officer decides; withdrawn: voided or rejected and the liability "
    "withdrawn; not_applicable: voided or rejected, nothing was assessed"
)


class BasisOut(BaseModel):
    policy: str = Field(description="policy id")
    document: str = Field(description="the document, e.g. 人社部发〔2020〕11号")
    rule: str
    clause: str


class AssessedLineOut(BaseModel):
    insurance: str
    relief: str = Field(description="exempt (免征) | halved (减半) | none", examples=["exempt"])
    employer_original_fen: int = Field(description="the employer's part before relief")
    employer_relief_fen: int
    employer_payable_fen: int
    individual_fen: int
    basis: BasisOut | None = Field(description="the rule that decided the relief; null when none applied")


class AssessmentOut(BaseModel):
    """The assessed liability (应缴) relief-calc published for this fee period. The figures are
    those of `revision_assessed`, which may be older than the declaration's current revision
    (then `status` is pending_assessment or held_for_audit); they are null when nothing stands
    (not assessed yet, withdrawn). Every field is always present."""

    status: AssessmentStatusName = Field(description=ASSESSMENT_STATUS_DOC)
    revision_assessed: int | None = Field(description="the declaration revision the standing liability was derived from")
    employer_original_fen: int | None = Field(description="the employer's part before relief")
    employer_relief_fen: int | None = Field(description="relieved (免征 or 减半) of the employer's part")
    employer_payable_fen: int | None = Field(description="the employer's part to pay")
    individual_fen: int | None = Field(description="the individuals' part (never relieved)")
    due_date: date | None = Field(description="缴费截止日")
    size_used: str | None = Field(description="the enterprise size the relief was decided by (provisional: large)")
    lines: list[AssessedLineOut] = Field(description="per insurance; empty when nothing stands")
    assessed_at: datetime | None = Field(description="when relief-calc recorded the standing liability (or its withdrawal)")


class DeclarationOut(BaseModel):
    declaration_id: str
    credit_code: str
    fee_period: str
    revision: int
    status: Literal["submitted", "held_for_audit", "audit_rejected", "voided"]
    region: str
    unit_type: str
    lines: list[LineOut]
    employer_fen: int
    individual_fen: int
    assessment: AssessmentOut


class CheckIssueOut(BaseModel):
    field: str
    code: str
    reason: str
    reason_zh: str


class CheckOut(BaseModel):
    ok: bool
    errors: list[CheckIssueOut]
    lines: list[LineOut] = []
    employer_fen: int = 0
    individual_fen: int = 0


class DeclarationSummaryOut(BaseModel):
    declaration_id: str
    fee_period: str
    revision: int
    status: str
    employer_fen: int
    individual_fen: int
    assessment: AssessmentOut


class DeclarationPageOut(BaseModel):
    items: list[DeclarationSummaryOut]
    next_page_token: str | None


class RegionOut(BaseModel):
    code: str
    name: str
    province: str
