"""The assessed liability (应缴), as events on `relief.events`: the contract refund, declaration and
the agencies read.

Stream `liability-<credit code>-<YYYY-MM>`, subject (Kafka key) the credit code. Every event
carries the whole liability as it now stands (lines and totals), the inputs it was derived from
(the declaration revision, the size and its source, the policies in force with their content
hashes), so a reader never needs the earlier events to know the current state:

* ``LiabilityAssessed``: the first assessment of a payer-period;
* ``LiabilityReassessed``: an input changed (a correction, a size, a policy, an audit release); it
  adds the delta per insurance and in total (new − previous; a negative payable delta is money
  the payer is owed back);
* ``LiabilityWithdrawn``: the declaration was voided or rejected; nothing is owed for it any more.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from eventkit.events import Event


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Basis(_Part):
    """The rule that decided a line's relief: policy, document, rule and clause."""

    policy: str
    document: str
    rule: str
    clause: str


class LiabilityLine(_Part):
    insurance: str
    relief: str  # exempt | halved | none
    employer_original_fen: int
    employer_relief_fen: int
    employer_payable_fen: int
    individual_fen: int
    basis: Basis | None = None


class LineDelta(_Part):
    insurance: str
    relief_before: str | None  # None: the insurance was not in the previous assessment
    relief_after: str | None  # None: it is not in this one
    employer_original_fen: int
    employer_relief_fen: int
    employer_payable_fen: int
    individual_fen: int


class PolicyRef(_Part):
    id: str
    content_hash: str


class Inputs(_Part):
    """The versions of the inputs a liability was derived from."""

    declaration_id: str
    declaration_revision: int
    declaration_event_id: str
    size: str | None  # the size in force (None: not classified yet)
    size_source: str | None  # assigned | corrected | None
    size_event_id: str | None
    policies: tuple[PolicyRef, ...]


class Liability(_Part):
    """A payer's liability for one fee period as it now stands."""

    credit_code: str
    fee_period: str
    region: str
    unit_type: str
    status: str  # final | provisional (size unknown: assessed as large)
    size_used: str | None
    due_date: str  # YYYY-MM-DD, from the region's due day
    lines: tuple[LiabilityLine, ...]
    employer_original_fen: int
    employer_relief_fen: int
    employer_payable_fen: int
    individual_fen: int
    inputs: Inputs


class LiabilityAssessed(Event):
    name = "relief.LiabilityAssessed"
    liability: Liability


class LiabilityReassessed(Event):
    name = "relief.LiabilityReassessed"
    liability: Liability
    reasons: tuple[str, ...]  # which inputs changed: declaration | size | policies | audit
    previous_status: str
    deltas: tuple[LineDelta, ...]
    employer_payable_delta_fen: int
    employer_relief_delta_fen: int
    individual_delta_fen: int


class LiabilityWithdrawn(Event):
    name = "relief.LiabilityWithdrawn"
    credit_code: str
    fee_period: str
    reason: str  # declaration_voided | declaration_rejected
    declaration_id: str
    declaration_revision: int
    previous_employer_payable_fen: int
    previous_employer_relief_fen: int
    previous_individual_fen: int


LIABILITY_EVENTS = (LiabilityAssessed, LiabilityReassessed, LiabilityWithdrawn)


def liability_stream(credit_code: str, fee_period: str) -> str:
    return f"liability-{credit_code}-{fee_period}"
