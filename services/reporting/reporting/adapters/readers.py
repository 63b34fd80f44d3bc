"""Tolerant readers of the other services' events: the reporting service never imports their
packages. Each model declares only the fields a report needs and ignores the rest; events of a
topic's prefix that no model names are skipped (``Projection.ignore``), a named one at a newer
version is dead-lettered until the reader learns it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from eventkit.events import Event, EventRegistry


class _Reader(Event):
    model_config = ConfigDict(frozen=True, extra="ignore")


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


# ---- declaration.events: the payer registry and the declared lines -------------------------------
class Profile(_Part):
    credit_code: str
    name: str
    unit_type: str
    region: str


class PayerRegistered(_Reader):
    name = "declaration.PayerRegistered"
    profile: Profile


class PayerUpdated(_Reader):
    name = "declaration.PayerUpdated"
    profile: Profile


class DeclaredLine(_Part):
    insurance: str
    headcount: int
    employer_rate: str
    employer_original_rate: str | None = None


class Declaration(_Part):
    credit_code: str
    fee_period: str
    revision: int
    region: str
    lines: tuple[DeclaredLine, ...]


class DeclarationSubmitted(_Reader):
    name = "declaration.DeclarationSubmitted"
    declaration: Declaration


class DeclarationCorrected(_Reader):
    name = "declaration.DeclarationCorrected"
    declaration: Declaration


class DeclarationVoided(_Reader):
    name = "declaration.DeclarationVoided"
    credit_code: str
    fee_period: str


declaration_registry = EventRegistry(PayerRegistered, PayerUpdated, DeclarationSubmitted, DeclarationCorrected, DeclarationVoided)


# ---- relief.events: assessed liabilities and approved deferrals -----------------------------------
class Basis(_Part):
    policy: str
    document: str


class LiabilityLine(_Part):
    insurance: str
    relief: str  # exempt | halved | none
    employer_original_fen: int
    employer_relief_fen: int
    employer_payable_fen: int
    individual_fen: int
    basis: Basis | None = None


class Liability(_Part):
    credit_code: str
    fee_period: str
    region: str
    unit_type: str
    status: str
    lines: tuple[LiabilityLine, ...]


class LiabilityAssessed(_Reader):
    name = "relief.LiabilityAssessed"
    liability: Liability


class LiabilityReassessed(_Reader):
    name = "relief.LiabilityReassessed"
    liability: Liability


class LiabilityWithdrawn(_Reader):
    name = "relief.LiabilityWithdrawn"
    credit_code: str
    fee_period: str


class DeferralApproved(_Reader):
    name = "relief.DeferralApproved"
    application_id: str
    credit_code: str
    region: str
    first_period: str
    last_period: str
    insurances: tuple[str, ...]


class ProjectLiability(_Part):
    """A construction project's work-injury premium (工程建设项目按项目参保) as it now stands: a lump
    sum, its relief prorated over the planned months (exempt and halved months), the payable."""

    credit_code: str  # the general contractor
    project_code: str
    region: str
    unit_type: str
    status: str
    fee_period: str  # the project's first month (the month it started)
    planned_months: int
    insurance: str  # work_injury
    relief: str  # exempt | halved | mixed | none
    months_exempt: int
    months_halved: int
    premium_fen: int
    relief_fen: int
    payable_fen: int
    basis: tuple[str, ...] = ()  # policy ids, the construction-project policy first


class ProjectLiabilityAssessed(_Reader):
    name = "relief.ProjectLiabilityAssessed"
    liability: ProjectLiability


class ProjectLiabilityReassessed(_Reader):
    name = "relief.ProjectLiabilityReassessed"
    liability: ProjectLiability


relief_registry = EventRegistry(
    LiabilityAssessed, LiabilityReassessed, LiabilityWithdrawn, DeferralApproved, ProjectLiabilityAssessed,
    ProjectLiabilityReassessed,
)  # fmt: skip


# ---- refund.events: the payer ledger and the refunds ----------------------------------------------
# `project` (absent or None on monthly accounts) names a construction project's own account.
class DueLine(_Part):
    insurance: str
    part: str
    amount_fen: int


class DueRecorded(_Reader):
    name = "refund.DueRecorded"
    credit_code: str
    fee_period: str
    lines: tuple[DueLine, ...]
    project: str | None = None


class Allocation(_Part):
    fee_period: str
    insurance: str
    part: str
    amount_fen: int
    project: str | None = None


class PaymentReceived(_Reader):
    name = "refund.PaymentReceived"
    credit_code: str
    allocations: tuple[Allocation, ...]


class PaymentReversed(_Reader):
    name = "refund.PaymentReversed"
    credit_code: str
    allocations: tuple[Allocation, ...]


class CreditArisen(_Reader):
    name = "refund.CreditArisen"
    credit_code: str
    credit_id: str
    fee_period: str
    insurance: str
    part: str
    amount_fen: int
    settlement: str
    project: str | None = None


class SettlementChosen(_Reader):
    name = "refund.SettlementChosen"
    credit_code: str
    credit_id: str
    settlement: str


class OffsetApplied(_Reader):
    name = "refund.OffsetApplied"
    credit_code: str
    credit_id: str
    fee_period: str
    insurance: str
    part: str
    amount_fen: int
    project: str | None = None  # the target account's


class Draw(_Part):
    credit_id: str
    amount_fen: int


class RefundRequested(_Reader):
    name = "refund.RefundRequested"
    credit_code: str
    refund_id: str
    amount_fen: int
    draws: tuple[Draw, ...]
    ex_officio: bool


class _RefundStep(_Reader):
    credit_code: str
    refund_id: str


class RefundApproved(_RefundStep):
    name = "refund.RefundApproved"
    attempt: int
    approvals: int
    required: int


class RefundInstructed(_RefundStep):
    name = "refund.RefundInstructed"
    attempt: int


class RefundAccepted(_RefundStep):
    name = "refund.RefundAccepted"
    attempt: int


class RefundRejected(_RefundStep):
    name = "refund.RefundRejected"
    attempt: int


class RefundSettled(_RefundStep):
    name = "refund.RefundSettled"
    attempt: int


class RefundRetried(_RefundStep):
    name = "refund.RefundRetried"
    attempt: int


class RefundConvertedToOffset(_RefundStep):
    name = "refund.RefundConvertedToOffset"


refund_registry = EventRegistry(
    DueRecorded, PaymentReceived, PaymentReversed, CreditArisen, SettlementChosen, OffsetApplied, RefundRequested,
    RefundApproved, RefundInstructed, RefundAccepted, RefundRejected, RefundSettled, RefundRetried, RefundConvertedToOffset,
)  # fmt: skip


# ---- classification.events: size disputes ---------------------------------------------------------
class DisputeFiled(_Reader):
    name = "classification.DisputeFiled"
    dispute_id: str
    credit_code: str
    claimed_size: str


class _DisputeStep(_Reader):
    dispute_id: str


class DisputeTakenIn(_DisputeStep):
    name = "classification.DisputeTakenIn"


class OpinionRecorded(_DisputeStep):
    name = "classification.OpinionRecorded"


class DisputeDecided(_DisputeStep):
    name = "classification.DisputeDecided"
    outcome: str


class DisputeReported(_DisputeStep):
    name = "classification.DisputeReported"


class DisputeCorrected(_DisputeStep):
    name = "classification.DisputeCorrected"


classification_registry = EventRegistry(
    DisputeFiled, DisputeTakenIn, OpinionRecorded, DisputeDecided, DisputeReported, DisputeCorrected
)


# ---- policy.events: the policy documents (for the medical form's document, dates and window) ------
class PolicyPublished(_Reader):
    name = "policy.PolicyPublished"
    policy_id: str
    published: str
    content_hash: str
    policy: dict[str, Any]


policy_registry = EventRegistry(PolicyPublished)
