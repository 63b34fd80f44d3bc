"""What a declaration's assessment shows: the declaration's own state (current revision, status)
against the liability relief-calc last published for the payer-period (from relief.events).

relief-calc answers a declaration some time after it was declared, and answers every revision,
audit release and void anew; until it has answered the current state, the figures shown are the
ones still standing (if any) and the status says they are not the current revision's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from declaration.domain import aggregates as agg

AssessmentStatus = Literal["pending_assessment", "held_for_audit", "assessed", "provisional", "withdrawn", "not_applicable"]


@dataclass(frozen=True)
class StandingLiability:
    """The liability relief-calc last published for a payer-period: final | provisional |
    withdrawn, derived from `declaration_revision`."""

    declaration_revision: int
    status: str
    employer_original_fen: int
    employer_relief_fen: int
    employer_payable_fen: int
    individual_fen: int
    due_date: str | None
    size_used: str | None
    lines: tuple[dict[str, Any], ...]
    updated_at: datetime

    @property
    def withdrawn(self) -> bool:
        return self.status == "withdrawn"


def assessment_status(declaration_status: str, revision: int, liability: StandingLiability | None) -> AssessmentStatus:
    """
    - held for audit: relief-calc must not assess it before an officer decides → held_for_audit;
    - voided or rejected: withdrawn once relief-calc withdrew the liability, not_applicable when
      nothing was ever assessed, pending_assessment while an assessed liability still stands
      (relief-calc has not yet answered the void);
    - submitted: assessed / provisional when the standing liability was derived from the current
      revision; pending_assessment when there is none yet, or it is of an older revision, or it
      was withdrawn for an earlier void.
    """
    if declaration_status == agg.HELD:
        return "held_for_audit"
    if declaration_status in (agg.VOIDED, agg.REJECTED):
        if liability is None:
            return "not_applicable"
        return "withdrawn" if liability.withdrawn else "pending_assessment"
    if declaration_status == agg.NONE or liability is None or liability.withdrawn:
        return "pending_assessment"
    if liability.declaration_revision != revision:
        return "pending_assessment"
    return "provisional" if liability.status == "provisional" else "assessed"
