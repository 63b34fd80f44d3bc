"""Tolerant readers of the events relief-calc consumes from other services.

relief-calc never imports another service's code (each is deployed on its own): it reads their
events through these models, which declare only the fields it needs and ignore the rest
(``extra="ignore"``), so a producer may add fields without breaking this reader. Event types of
those services this reader does not need are skipped (``Subscription.ignore``); a newer version
of a type it does read is dead-lettered until this reader learns it. tests/test_reader_contracts.py
checks these models against the producers' JSON Schemas in contracts/events/.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from eventkit.events import Event, EventRegistry
from relief_calc.domain.policy_events import PolicyPublished

IGNORED_PREFIXES = ("declaration.", "classification.")
REFUND_IGNORED_PREFIXES = ("refund.",)


class _Reader(Event):
    model_config = ConfigDict(frozen=True, extra="ignore")


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


# ---- declaration.events --------------------------------------------------------------------------
class DeclaredLine(_Part):
    insurance: str
    base_fen: int
    employer_rate: str
    individual_rate: str
    employer_original_rate: str | None = None


class DeclaredContent(_Part):
    declaration_id: str
    credit_code: str
    fee_period: str
    revision: int
    region: str
    unit_type: str
    lines: tuple[DeclaredLine, ...]
    audit_hold: bool = False


class DeclarationSubmitted(_Reader):
    name = "declaration.DeclarationSubmitted"
    declaration: DeclaredContent


class DeclarationCorrected(_Reader):
    name = "declaration.DeclarationCorrected"
    declaration: DeclaredContent


class DeclarationVoided(_Reader):
    name = "declaration.DeclarationVoided"
    declaration_id: str
    credit_code: str
    fee_period: str
    revision: int


class DeclarationAuditApproved(_Reader):
    name = "declaration.DeclarationAuditApproved"
    declaration_id: str
    credit_code: str
    fee_period: str
    revision: int


class DeclarationAuditRejected(_Reader):
    name = "declaration.DeclarationAuditRejected"
    declaration_id: str
    credit_code: str
    fee_period: str
    revision: int


class DeclaredProject(_Part):
    project_id: str
    project_code: str
    credit_code: str  # the general contractor
    region: str
    unit_type: str
    started: str  # YYYY-MM-DD
    planned_months: int
    premium_fen: int
    revision: int


class ProjectDeclared(_Reader):
    name = "declaration.ProjectDeclared"
    project: DeclaredProject


class ProjectCorrected(_Reader):
    name = "declaration.ProjectCorrected"
    project: DeclaredProject


# ---- classification.events -----------------------------------------------------------------------
class SizePeriods(_Part):
    first: str
    last: str


class EnterpriseSizeAssigned(_Reader):
    name = "classification.EnterpriseSizeAssigned"
    credit_code: str
    size: str
    periods: SizePeriods


class EnterpriseSizeCorrected(_Reader):
    name = "classification.EnterpriseSizeCorrected"
    credit_code: str
    size: str
    periods: SizePeriods


# ---- refund.events (the payer ledger: what was paid, reversed, offset, moved into credits) ---------
class Allocation(_Part):
    fee_period: str  # "" for money that matched no due (part "unallocated")
    insurance: str
    part: str  # employer | individual | unallocated
    amount_fen: int
    project: str | None = None  # a construction project's own account (not a monthly liability's)


class PaymentReceived(_Reader):
    name = "refund.PaymentReceived"
    credit_code: str
    payment_id: str
    value_date: str  # YYYY-MM-DD
    allocations: tuple[Allocation, ...]


class PaymentReversed(_Reader):
    name = "refund.PaymentReversed"
    credit_code: str
    payment_id: str
    allocations: tuple[Allocation, ...]


class OffsetApplied(_Reader):
    name = "refund.OffsetApplied"
    credit_code: str
    credit_id: str
    fee_period: str  # the account paid
    insurance: str
    part: str
    amount_fen: int
    project: str | None = None


class CreditArisen(_Reader):
    name = "refund.CreditArisen"
    credit_code: str
    credit_id: str
    fee_period: str  # the account the money leaves
    insurance: str
    part: str
    amount_fen: int
    project: str | None = None


READERS: tuple[type[Event], ...] = (
    DeclarationSubmitted,
    DeclarationCorrected,
    DeclarationVoided,
    DeclarationAuditApproved,
    DeclarationAuditRejected,
    ProjectDeclared,
    ProjectCorrected,
    EnterpriseSizeAssigned,
    EnterpriseSizeCorrected,
)
inputs_registry = EventRegistry(*READERS, PolicyPublished)
REFUND_READERS: tuple[type[Event], ...] = (PaymentReceived, PaymentReversed, OffsetApplied, CreditArisen)
paid_registry = EventRegistry(*REFUND_READERS)
