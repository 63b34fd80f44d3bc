"""The events the declaration service writes, with their schema versions.

Streams: `payer-<credit code>` (the registry entry of one 参保单位) and
`declaration-<credit code>-<YYYY-MM>` (one payer's declarations for one fee period, every
revision). Every event's subject, and so its Kafka key, is the payer's credit code. Personal data
(bank accounts, ID numbers, personal names and phones) travels only sealed: ciphertext plus a
masked form (eventkit.crypto.Sealed).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from eventkit.crypto import Sealed
from eventkit.events import Event, EventRegistry


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Enrollment(_Part):
    insurance: str
    since: str  # 参保日期, YYYY-MM-DD


class Contact(_Part):
    name: Sealed | None = None
    phone: Sealed | None = None


class PayerProfile(_Part):
    """The registry entry of a payer (参保单位), complete, as of one event."""

    credit_code: str
    name: str
    unit_type: str
    region: str
    industry_section: str
    industry_division: str | None = None
    work_injury_class: int
    work_injury_grade: str | None = None  # 浮动档次: multiplier of the class rate (0.5 … 1.5); None: 1
    enrollments: tuple[Enrollment, ...]
    bank_name: str | None = None
    bank_account: Sealed | None = None
    contact: Contact = Contact()
    predecessor: str | None = None  # the group this legal entity was split from (攀钢)
    legal_representative_name: Sealed | None = None
    legal_representative_id: Sealed | None = None
    address: str | None = None  # the registered address (an enterprise's, not a person's)
    # Blind indexes (eventkit.crypto) of the bank account, the legal representative's ID number and
    # the normalised address: other services compare payers by them without seeing the values
    # (classification's 新设骗取减免资质 signal).
    bank_account_index: str | None = None
    legal_representative_index: str | None = None
    address_index: str | None = None


class PayerRegistered(Event):
    name = "declaration.PayerRegistered"
    profile: PayerProfile


class PayerUpdated(Event):
    name = "declaration.PayerUpdated"
    profile: PayerProfile  # complete, after the update
    changed: tuple[str, ...]


class PayerSplit(Event):
    """The payer (a group) was split: `successor` is a new legal entity enrolled on its own."""

    name = "declaration.PayerSplit"
    credit_code: str
    successor: str
    effective_period: str  # YYYY-MM


class Employee(_Part):
    id_number: Sealed
    id_index: str  # blind index of the ID number, to find one person's records without decrypting
    name: Sealed
    base_fen: int


class DeclarationLine(_Part):
    """One insurance of a declaration, with the amounts computed from the region's parameters."""

    insurance: str
    headcount: int
    base_fen: int
    employer_rate: str
    individual_rate: str
    employer_original_rate: str | None = None  # the pre-cut rate where a phased rate cut applied
    employer_fen: int
    individual_fen: int
    employees: tuple[Employee, ...] = ()


class DeclarationContent(_Part):
    declaration_id: str
    credit_code: str
    fee_period: str
    revision: int
    region: str
    unit_type: str
    lines: tuple[DeclarationLine, ...]
    employer_fen: int
    individual_fen: int
    audit_hold: bool = False  # held until a tax officer approves (base raised inside a relief window)
    upload_id: str | None = None
    upload_row: int | None = None


class DeclarationSubmitted(Event):
    name = "declaration.DeclarationSubmitted"
    declaration: DeclarationContent


class DeclarationCorrected(Event):
    """更正申报: a new revision replaces the previous one."""

    name = "declaration.DeclarationCorrected"
    declaration: DeclarationContent
    previous_revision: int
    previous_employer_fen: int
    previous_individual_fen: int
    reason: str


class DeclarationVoided(Event):
    name = "declaration.DeclarationVoided"
    declaration_id: str
    credit_code: str
    fee_period: str
    revision: int
    reason: str


class AuditReason(_Part):
    insurance: str
    previous_average_base_fen: int
    new_average_base_fen: int


class DeclarationAuditRequired(Event):
    name = "declaration.DeclarationAuditRequired"
    declaration_id: str
    credit_code: str
    fee_period: str
    revision: int
    reasons: tuple[AuditReason, ...]


class DeclarationAuditApproved(Event):
    name = "declaration.DeclarationAuditApproved"
    declaration_id: str
    credit_code: str
    fee_period: str
    revision: int
    officer: str
    note: str = ""


class DeclarationAuditRejected(Event):
    name = "declaration.DeclarationAuditRejected"
    declaration_id: str
    credit_code: str
    fee_period: str
    revision: int
    officer: str
    reason: str


registry = EventRegistry(
    PayerRegistered,
    PayerUpdated,
    PayerSplit,
    DeclarationSubmitted,
    DeclarationCorrected,
    DeclarationVoided,
    DeclarationAuditRequired,
    DeclarationAuditApproved,
    DeclarationAuditRejected,
)


# ---- bulk intake (批量申报): stream `upload-<upload id>`, keyed by the upload id ----------------
class UploadScope(_Part):
    """Whom the uploader may declare for: rows for other payers are refused."""

    roles: tuple[str, ...]
    payer: str | None = None
    region: str | None = None


class DeclarationUploadReceived(Event):
    name = "declaration.DeclarationUploadReceived"
    upload_id: str
    format: str  # csv | jsonl
    rows: int
    sha256: str
    submitted_by: str
    scope: UploadScope


class DeclarationUploadRowAccepted(Event):
    name = "declaration.DeclarationUploadRowAccepted"
    upload_id: str
    row: int
    declaration_id: str
    revision: int


class RowError(_Part):
    field: str
    code: str
    reason: str
    reason_zh: str


class DeclarationUploadRowRejected(Event):
    name = "declaration.DeclarationUploadRowRejected"
    upload_id: str
    row: int
    credit_code: str | None
    errors: tuple[RowError, ...]


class DeclarationUploadCompleted(Event):
    name = "declaration.DeclarationUploadCompleted"
    upload_id: str
    accepted: int
    rejected: int


for _cls in (DeclarationUploadReceived, DeclarationUploadRowAccepted, DeclarationUploadRowRejected, DeclarationUploadCompleted):
    registry.register(_cls)


# ---- construction projects insured per project (工程建设项目按项目参保): stream
# `project-<credit code>-<project code>`, keyed by the general contractor's credit code ------------
class ProjectContent(_Part):
    """A construction project as declared by its general contractor (总承包单位), one revision.

    The work-injury premium is a lump sum for the whole project: ``premium_fen`` = contract price ×
    the per-mille rate, rounded half-up to the fen once (both recorded), or declared directly
    (contract price and rate then None)."""

    project_id: str  # <credit code>-<project code>
    project_code: str
    credit_code: str  # the general contractor
    name: str
    region: str  # the pooling region the project is insured in (the contractor's)
    unit_type: str  # the contractor's
    started: str  # 开工日期, YYYY-MM-DD
    planned_months: int  # 计划工期 in months
    contract_price_fen: int | None = None
    rate_per_mille: str | None = None  # e.g. "1.5" (‰)
    premium_fen: int
    revision: int


class ProjectDeclared(Event):
    name = "declaration.ProjectDeclared"
    project: ProjectContent


class ProjectCorrected(Event):
    """A new revision of a project's declaration (start, planned months or premium corrected)."""

    name = "declaration.ProjectCorrected"
    project: ProjectContent
    previous_revision: int
    previous_premium_fen: int
    reason: str


registry.register(ProjectDeclared)
registry.register(ProjectCorrected)
