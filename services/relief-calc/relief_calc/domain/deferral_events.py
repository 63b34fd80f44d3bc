"""缓缴 Deferral applications, as events on `relief.events` (DOMAIN.md §2.4).

Stream `deferral-<application id>`, subject (Kafka key) the payer's credit code. Each step of the
review is one event, so the agencies that take part (人社, 财政, 税务, 经信) read the same record:

* ``DeferralApplied``: the payer's application (periods, insurances, reason, hardship, evidence),
  with the review flow and the policies it was accepted under, fixed for its whole life;
* ``DeferralOpinionRecorded``: one department's written opinion (书面意见);
* ``DeferralFirstReviewed``: the first review (初审, city flow), passed or failed;
* ``DeferralApproved``: approved, with the fee periods and insurances deferred and the day the
  deferred contributions now fall due; no late fee accrues for them until then;
* ``DeferralRejected``: refused (by the deciding department, or by a failed first review);
* ``DeferralWithdrawn``: the payer withdrew it before a decision.

Every event carries ``at``, the time of the act (the envelope also records when it was stored).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from eventkit.events import Event


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Part):
    """A supporting document (证明材料) held in the bureau's archive: what it is and where."""

    kind: str  # e.g. financial_statement, payroll, production_notice, other
    title: str
    reference: str  # the archive's reference of the uploaded file
    sha256: str | None = None


class FlowStep(_Part):
    """One review step as the policy defined it when the application was made."""

    step: str  # opinions | first_review | decision | joint_review
    by: tuple[str, ...]  # departments: finance, tax, econ, hr, county_hr, city_social_insurance_centre
    opinions_from: tuple[str, ...] = ()


class DeferralPolicyRef(_Part):
    id: str
    document_number: str
    published: str  # YYYY-MM-DD
    content_hash: str


class DeferralApplied(Event):
    name = "relief.DeferralApplied"
    application_id: str
    credit_code: str
    region: str  # the pooling region (统筹区) whose policy applies
    review_level: str  # county | city: where the payer is insured, which decides the flow
    first_period: str  # YYYY-MM
    last_period: str  # YYYY-MM, inclusive
    months: int
    insurances: tuple[str, ...]
    reason: str
    hardship: tuple[str, ...]  # the policy's hardship criteria the payer claims, as the policy words them
    evidence: tuple[Evidence, ...]
    flow: tuple[FlowStep, ...]
    policies: tuple[DeferralPolicyRef, ...]
    applied_by: str
    at: datetime


class DeferralOpinionRecorded(Event):
    name = "relief.DeferralOpinionRecorded"
    application_id: str
    credit_code: str
    step: str
    department: str
    role: str
    officer: str
    stance: str  # support | oppose
    opinion: str
    at: datetime


class DeferralFirstReviewed(Event):
    name = "relief.DeferralFirstReviewed"
    application_id: str
    credit_code: str
    step: str
    department: str
    role: str
    officer: str
    outcome: str  # passed | failed
    opinion: str
    at: datetime


class DeferralApproved(Event):
    name = "relief.DeferralApproved"
    application_id: str
    credit_code: str
    region: str
    step: str
    department: str
    role: str
    officer: str
    opinion: str
    first_period: str
    last_period: str
    months: int
    insurances: tuple[str, ...]
    due_date: str  # YYYY-MM-DD: the deferred contributions fall due on this day, no late fee before it
    policies: tuple[DeferralPolicyRef, ...]
    at: datetime


class DeferralRejected(Event):
    name = "relief.DeferralRejected"
    application_id: str
    credit_code: str
    step: str
    department: str
    role: str
    officer: str
    opinion: str
    at: datetime


class DeferralWithdrawn(Event):
    name = "relief.DeferralWithdrawn"
    application_id: str
    credit_code: str
    reason: str
    withdrawn_by: str
    at: datetime


DEFERRAL_EVENTS = (
    DeferralApplied,
    DeferralOpinionRecorded,
    DeferralFirstReviewed,
    DeferralApproved,
    DeferralRejected,
    DeferralWithdrawn,
)


def deferral_stream(application_id: str) -> str:
    return f"deferral-{application_id}"
