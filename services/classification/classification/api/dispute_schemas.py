"""Request and response bodies of the dispute API (企业划型异议)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from classification.api.amounts import WanYuan

SizeName = Literal["large", "medium", "small", "micro", "unclassifiable"]
CREDIT_CODE = r"^[0-9A-HJ-NP-RTUWXY]{18}$"
PERIOD = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EvidenceIn(_In):
    industry: str = Field(min_length=1, max_length=5, description="GB/T 4754-2017 code", examples=["C31"])
    headcount: int | None = Field(default=None, ge=0, le=10_000_000, description="X 从业人员")
    revenue: WanYuan | None = Field(default=None, description="Y 营业收入 (万元)")
    assets: WanYuan | None = Field(default=None, description="Z 资产总额 (万元)")


class DocumentIn(_In):
    name: str = Field(min_length=1, max_length=200)
    media_type: Literal["application/pdf", "image/jpeg", "image/png", "text/plain"]
    content_base64: str = Field(min_length=1, max_length=7_000_000, description="the document, base64 (≤ 5 MiB)")


class GroupSplitIn(_In):
    group: str = Field(pattern=CREDIT_CODE, description="the group's credit code (统一参保的集团)")
    effective_period: str = Field(pattern=PERIOD, description="first fee period enrolled on its own")


class DisputeIn(_In):
    credit_code: str = Field(pattern=CREDIT_CODE, description="the disputing payer (a payer files for itself only)")
    statistical_year: int = Field(ge=2017, le=2099, description="the statistical year whose classification is disputed")
    claimed_size: SizeName
    evidence: EvidenceIn
    reason: str = Field(min_length=1, max_length=4000, description="why the classification is wrong (书面说明)")
    documents: list[DocumentIn] = Field(default_factory=list, max_length=10)
    group_split: GroupSplitIn | None = Field(default=None, description="攀钢: a legal entity split from a group")


class NoteIn(_In):
    note: str = Field(min_length=1, max_length=4000)


class OpinionIn(_In):
    finds_size: SizeName = Field(description="the size the agency finds on the evidence")
    opinion: str = Field(min_length=1, max_length=4000, description="the written opinion (书面意见)")


class DecisionIn(_In):
    outcome: Literal["upheld", "rejected"]
    size: SizeName | None = Field(default=None, description="the size found, when upheld (default: the claimed size)")
    reasons: str = Field(min_length=1, max_length=4000)


class ReportIn(_In):
    reference: str = Field(min_length=1, max_length=200, description="the report's document number")
    note: str = Field(default="", max_length=4000)


class PeriodsIn(_In):
    first: str = Field(pattern=PERIOD)
    last: str = Field(pattern=PERIOD)


class CorrectionIn(_In):
    reference: str = Field(min_length=1, max_length=200, description="the province's correction (更正文号)")
    size: SizeName | None = Field(default=None, description="default: the size the decision found")
    periods: PeriodsIn | None = Field(default=None, description="default: every fee period the dispute concerns")


class StepOut(BaseModel):
    type: str
    at: datetime
    by: str
    role: str
    details: dict[str, Any]


class DisputeOut(BaseModel):
    dispute_id: str
    credit_code: str
    status: str
    waiting_for: str | None
    due: datetime | None
    overdue: bool
    statistical_year: int
    periods: dict[str, str]
    current_size: str | None
    claimed_size: str
    standard_size: str | None = Field(description="what the 2017 standard gives for the evidence (a hint)")
    decided_size: str | None
    documents: list[dict[str, Any]]
    group_split: dict[str, str] | None
    steps: list[StepOut]


class DisputeListItemOut(BaseModel):
    dispute_id: str
    credit_code: str
    status: str
    waiting_for: str | None
    statistical_year: int
    current_size: str | None
    claimed_size: str
    decided_size: str | None
    opinions: list[str]
    filed_at: datetime
    age_days: int
    due: datetime | None
    overdue: bool
