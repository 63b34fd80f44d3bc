"""The events the refund service writes, with their schema versions.

Every event class is registered here; the consumer dead-letters any type not registered.

Stream: `ledger-<credit code>` (see `ledger_stream`), one per payer (参保单位), holding every
entry of the payer's ledger: dues, payments, credits, settlement choices, offsets and the whole
life of the payer's refunds. One stream per payer makes the payer the consistency boundary: a
payment allocated over several fee periods, an offset from one period to another and a refund
drawing on credits are each decided against the whole ledger and appended with one expected
version, so two concurrent commands (fifty "settle" requests for one credit) cannot both spend
the same fen. Every event's subject, and so its Kafka key, is the payer's credit code.

Entries are never edited: a reassessment records the difference as a new `DueRecorded`, a
withdrawn liability records the reversal of what was due, a returned payment is a
`PaymentReversed`, and a credit that is no longer owed is consumed by an `OffsetApplied` back to
its own account (reason `absorbed`). Personal data (bank accounts) travels only sealed
(eventkit.crypto.Sealed) with a blind index to compare accounts without decrypting.

Amounts are integer fen. An account is (fee period, insurance, part), part `employer` or
`individual`; money paid that matches no due sits on the payer's `unallocated` account
(`fee_period=""`, `insurance=""`, `part="unallocated"`) until it becomes a credit. A construction
project insured per project (工程建设项目按项目参保) has an account of its own: the entries that
touch it carry its `project` code (fee period: the month it started, insurance `work_injury`, part
`employer`), so its lump-sum premium is never mixed with the contractor's monthly work-injury
account of the same month. Entries of monthly accounts carry no `project` (None).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from eventkit.crypto import Sealed
from eventkit.events import Event, EventRegistry
from refund.domain.parked_events import PARKED_EVENTS
from refund.domain.public_events import PUBLIC_EVENTS
from refund.domain.reconciliation_events import RECONCILIATION_EVENTS


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def ledger_stream(credit_code: str) -> str:
    return f"ledger-{credit_code}"


# The encryption context of every bank account this service seals (payers' accounts on payments,
# payees of refunds), so that the account a payment came from can be the payee of its refund.
ACCOUNT_CONTEXT = "refund/bank_account"


# ---- accounts and entries -------------------------------------------------------------------------
class DueLine(_Part):
    insurance: str
    part: str  # employer | individual
    amount_fen: int  # signed: the difference recorded by this entry
    due_after_fen: int  # the account's due once this entry is applied


class DueRecorded(Event):
    """What the payer owes for one fee period changed (应缴): from a relief.LiabilityAssessed /
    LiabilityReassessed (the difference to what was recorded) or a LiabilityWithdrawn (the reversal
    of everything recorded)."""

    name = "refund.DueRecorded"
    credit_code: str
    fee_period: str
    cause: str  # assessed | reassessed | withdrawn
    source_event_id: str  # the relief event this entry derives from
    source_version: int  # its version in the liability stream: older or repeated ones are skipped
    due_date: str | None = None  # YYYY-MM-DD
    lines: tuple[DueLine, ...]
    project: str | None = None  # a construction project's premium (relief.ProjectLiability*), not the fee period's dues


class Allocation(_Part):
    fee_period: str
    insurance: str
    part: str  # employer | individual | unallocated
    amount_fen: int
    project: str | None = None  # the account of a construction project


class Remittance(_Part):
    """What the payer wrote on the transfer (附言), parsed by the bank adapter."""

    fee_period: str | None = None
    insurance: str | None = None
    text: str = ""
    project: str | None = None  # /USCC/<code>/PRJ/<project code>: a project's premium


class PaymentReceived(Event):
    name = "refund.PaymentReceived"
    credit_code: str
    payment_id: str
    bank_reference: str  # the bank's own reference: a payment is recorded once per reference
    amount_fen: int
    value_date: str  # YYYY-MM-DD
    remittance: Remittance
    payer_account: Sealed | None = None
    allocations: tuple[Allocation, ...]  # sums to amount_fen; the excess on the unallocated account
    payer_account_index: str | None = None  # blind index of the account (compare without decrypting)
    payer_name: str | None = None  # the account holder's name as the bank gave it


class PaymentReversed(Event):
    """A payment returned by the bank: its allocations are reversed, account by account."""

    name = "refund.PaymentReversed"
    credit_code: str
    payment_id: str
    bank_reference: str
    reversal_reference: str
    amount_fen: int
    reason: str
    allocations: tuple[Allocation, ...]


class CreditArisen(Event):
    """Paid exceeds due on an account: the excess becomes a credit (溢缴) to settle."""

    name = "refund.CreditArisen"
    credit_code: str
    credit_id: str
    fee_period: str  # the account the credit comes from
    insurance: str
    part: str
    amount_fen: int
    cause: str  # reassessed | withdrawn | payment_excess
    settlement: str  # refund | offset: the default the province rule gives
    rule: str  # the rule that chose the default
    project: str | None = None  # the credit comes from a construction project's account


class SettlementChosen(Event):
    name = "refund.SettlementChosen"
    credit_code: str
    credit_id: str
    settlement: str  # refund | offset
    by: str
    role: str  # payer | tax_officer | system


class OffsetApplied(Event):
    """A credit pays a due (冲抵): from the credit's account to the target account."""

    name = "refund.OffsetApplied"
    credit_code: str
    credit_id: str
    fee_period: str  # the account paid
    insurance: str
    part: str
    amount_fen: int
    reason: str  # offset (the credit was settled by offset) | absorbed (its own account is owed again)
    project: str | None = None  # the account paid is a construction project's


# ---- refunds ------------------------------------------------------------------------------------
class Draw(_Part):
    credit_id: str
    amount_fen: int


class RefundRequested(Event):
    name = "refund.RefundRequested"
    credit_code: str
    refund_id: str  # also the end-to-end id of every instruction of this money
    amount_fen: int
    draws: tuple[Draw, ...]
    account: Sealed
    account_index: str  # blind index of the account number
    account_name: str
    bank_name: str = ""
    requested_by: str
    ex_officio: bool  # 依职权退费


class RefundApproved(Event):
    name = "refund.RefundApproved"
    credit_code: str
    refund_id: str
    attempt: int
    approver: str
    approvals: int  # approvals of this attempt so far, this one included
    required: int  # 1, or 2 above the two-person threshold


class RefundInstructed(Event):
    name = "refund.RefundInstructed"
    credit_code: str
    refund_id: str
    end_to_end_id: str  # = refund_id, on every attempt
    attempt: int
    message_id: str  # pain.001 GrpHdr/MsgId of this attempt
    payload_sha256: str  # of the exact bytes stored and re-sent
    amount_fen: int
    # the exact pain.001 bytes, sealed (they name the payee's account): re-sent unchanged after a
    # timeout the bank never received, and rebuilt from the log with everything else
    payload: Sealed | None = None


class RefundAccepted(Event):
    name = "refund.RefundAccepted"
    credit_code: str
    refund_id: str
    attempt: int
    message_id: str
    status_code: str  # pain.002 ACTC | ACCP | ACSP


class RefundRejected(Event):
    name = "refund.RefundRejected"
    credit_code: str
    refund_id: str
    attempt: int
    message_id: str
    reason_code: str  # ISO 20022 reason, e.g. AC04 closed account
    reason: str = ""


class RefundSettled(Event):
    name = "refund.RefundSettled"
    credit_code: str
    refund_id: str
    attempt: int
    message_id: str
    amount_fen: int
    bank_reference: str
    # the day the bank booked it (YYYY-MM-DD), when known; reconciliation otherwise dates a settled
    # refund by the day it was recorded (China time)
    booking_date: str | None = None


class RefundRetried(Event):
    """After a rejection: a new attempt of the same refund (same end-to-end id) to a corrected account."""

    name = "refund.RefundRetried"
    credit_code: str
    refund_id: str
    attempt: int  # the new attempt number
    account: Sealed
    account_index: str
    account_name: str
    bank_name: str = ""
    by: str


class RefundConvertedToOffset(Event):
    name = "refund.RefundConvertedToOffset"
    credit_code: str
    refund_id: str
    by: str
    role: str
    draws: tuple[Draw, ...]  # released: these credits are now settled by offset


class RefundStatusFlagged(Event):
    """A bank status that contradicts what is recorded (e.g. ACSC after RJCT, a status for an older
    attempt): recorded for an officer, never applied."""

    name = "refund.RefundStatusFlagged"
    credit_code: str
    refund_id: str
    attempt: int  # the attempt the status named
    message_id: str
    status_code: str
    recorded_status: str
    reason: str


LEDGER_EVENTS: tuple[type[Event], ...] = (
    DueRecorded,
    PaymentReceived,
    PaymentReversed,
    CreditArisen,
    SettlementChosen,
    OffsetApplied,
)
REFUND_EVENTS: tuple[type[Event], ...] = (
    RefundRequested,
    RefundApproved,
    RefundInstructed,
    RefundAccepted,
    RefundRejected,
    RefundSettled,
    RefundRetried,
    RefundConvertedToOffset,
    RefundStatusFlagged,
)


# ---- bank notifications that match no ledger: stream `parked-<bank reference>` ------------------
class PaymentParked(Event):
    """Money the bank notified that cannot be put on a ledger (an unknown payer, a payer with nothing
    due, an unreadable remittance, a reversal of a payment never recorded): kept for an officer,
    never dropped. Subject: the payer's credit code when the remittance names one, else the bank
    reference."""

    name = "refund.PaymentParked"
    bank_reference: str
    amount_fen: int
    credit_debit: str  # CRDT | DBIT
    reversal: bool
    value_date: str
    reason: str  # unknown_payer | nothing_due | unreadable_remittance | unknown_original
    remittance_text: str | None
    credit_code: str | None
    debtor_name: str | None
    debtor_account: Sealed | None


# parked resolutions, reconciliation and the integration event it publishes (public.collection-details)
registry = EventRegistry(*LEDGER_EVENTS, *REFUND_EVENTS, PaymentParked, *PARKED_EVENTS, *RECONCILIATION_EVENTS, *PUBLIC_EVENTS)
