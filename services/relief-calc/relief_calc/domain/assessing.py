"""Assessment from the log: which event (if any) a payer-period's current inputs call for.

A pure function of the inputs as they now stand (the current declaration revision, the size in
force for the period, every policy known) and the liability as last recorded. Whatever input
arrived last, the result is the same: the liability is derived only from the current inputs, so
inputs arriving in any order converge to the same liability (DESIGN.md §3.6).

* declaration held for audit: nothing yet (an earlier revision's liability, if any, stands);
* declaration voided or rejected: ``LiabilityWithdrawn`` if a liability stands;
* otherwise the liability is computed; ``LiabilityAssessed`` when none stands,
  ``LiabilityReassessed`` (with the deltas) when it differs from the recorded one in any amount,
  status or input version, and nothing when it is the same.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from eventkit.events import Event
from refdata.enums import Size, UnitType
from refdata.periods import FeePeriod
from refdata.regions import RegionCatalog
from relief_calc.domain.engine import Line, Payer, assess
from relief_calc.domain.liability_events import (
    Basis,
    Inputs,
    Liability,
    LiabilityAssessed,
    LiabilityLine,
    LiabilityReassessed,
    LiabilityWithdrawn,
    LineDelta,
    PolicyRef,
)
from relief_calc.domain.policies import PolicySet
from relief_calc.domain.policy_model import PolicyKind

ACTIVE, HELD, VOIDED, REJECTED = "active", "held", "voided", "rejected"


@dataclass(frozen=True)
class DeclarationInput:
    """The current revision of a payer's declaration for one fee period."""

    credit_code: str
    fee_period: str
    declaration_id: str
    revision: int
    event_id: str
    status: str  # active | held | voided | rejected
    region: str
    unit_type: str
    lines: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class SizeInput:
    size: str | None = None  # large | medium | small | micro | unclassifiable; None: not classified
    source: str | None = None  # assigned | corrected
    event_id: str | None = None


@dataclass(frozen=True)
class Recorded:
    """The liability as last recorded: the stream's version and its last event (None: no stream)."""

    version: int = 0
    last: Event | None = None

    @property
    def liability(self) -> Liability | None:
        if isinstance(self.last, LiabilityAssessed | LiabilityReassessed):
            return self.last.liability
        return None


def due_date(catalog: RegionCatalog, region: str, fee_period: str) -> date:
    """The region's due day in the fee period's month (clamped to the month's last day)."""
    period = FeePeriod.of(fee_period)
    day = catalog.parameters(region, period).due_day
    return date(period.year, period.month, min(day, calendar.monthrange(period.year, period.month)[1]))


def liability_of(declaration: DeclarationInput, size: SizeInput, policies: PolicySet, catalog: RegionCatalog) -> Liability:
    """The liability the inputs give, with the versions of the inputs used."""
    lines = [
        Line(
            insurance=line["insurance"],
            base_fen=line["base_fen"],
            employer_rate=line["employer_rate"],
            individual_rate=line["individual_rate"],
            employer_original_rate=line.get("employer_original_rate"),
        )
        for line in declaration.lines
    ]
    known_size = None if size.size is None or size.size == "unclassifiable" else Size(size.size)
    payer = Payer(unit_type=UnitType(declaration.unit_type), region=declaration.region)
    result = assess(payer, declaration.fee_period, lines, known_size, policies)
    relief_policies = tuple(
        PolicyRef(id=pid, content_hash=digest) for pid, digest in result.policies if policies.get(pid).kind is PolicyKind.RELIEF
    )
    return Liability(
        credit_code=declaration.credit_code,
        fee_period=declaration.fee_period,
        region=declaration.region,
        unit_type=declaration.unit_type,
        status=result.status,
        size_used=None if result.size_used is None else str(result.size_used),
        due_date=due_date(catalog, declaration.region, declaration.fee_period).isoformat(),
        lines=tuple(
            LiabilityLine(
                insurance=str(line.insurance),
                relief=str(line.relief),
                employer_original_fen=line.employer_original_fen,
                employer_relief_fen=line.employer_relief_fen,
                employer_payable_fen=line.employer_payable_fen,
                individual_fen=line.individual_fen,
                basis=_basis(line.trace),
            )
            for line in result.lines
        ),
        employer_original_fen=result.employer_original_fen,
        employer_relief_fen=result.employer_relief_fen,
        employer_payable_fen=result.employer_payable_fen,
        individual_fen=result.individual_fen,
        inputs=Inputs(
            declaration_id=declaration.declaration_id,
            declaration_revision=declaration.revision,
            declaration_event_id=declaration.event_id,
            size=size.size,
            size_source=size.source,
            size_event_id=size.event_id,
            policies=relief_policies,
        ),
    )


def _basis(trace: Sequence[dict[str, Any]]) -> Basis | None:
    for step in trace:
        if step.get("step") == "rule" and step.get("applied"):
            return Basis(policy=step["policy"], document=step["document"], rule=step["rule"], clause=step["clause"])
    return None


def next_event(
    recorded: Recorded, declaration: DeclarationInput, size: SizeInput, policies: PolicySet, catalog: RegionCatalog
) -> Event | None:
    """The event the current inputs call for (see the module docstring), or None."""
    previous = recorded.liability
    if declaration.status in (VOIDED, REJECTED):
        if previous is None:
            return None
        return LiabilityWithdrawn(
            credit_code=declaration.credit_code,
            fee_period=declaration.fee_period,
            reason="declaration_voided" if declaration.status == VOIDED else "declaration_rejected",
            declaration_id=declaration.declaration_id,
            declaration_revision=declaration.revision,
            previous_employer_payable_fen=previous.employer_payable_fen,
            previous_employer_relief_fen=previous.employer_relief_fen,
            previous_individual_fen=previous.individual_fen,
        )
    if declaration.status != ACTIVE:
        return None
    current = liability_of(declaration, size, policies, catalog)
    if previous is None:
        return LiabilityAssessed(liability=current)
    if current == previous:
        return None
    return LiabilityReassessed(
        liability=current,
        reasons=reasons(previous, current),
        previous_status=previous.status,
        deltas=deltas(previous, current),
        employer_payable_delta_fen=current.employer_payable_fen - previous.employer_payable_fen,
        employer_relief_delta_fen=current.employer_relief_fen - previous.employer_relief_fen,
        individual_delta_fen=current.individual_fen - previous.individual_fen,
    )


def reasons(previous: Liability, current: Liability) -> tuple[str, ...]:
    """Which inputs changed between two liabilities of a payer-period."""
    before, after = previous.inputs, current.inputs
    found = []
    if (before.declaration_id, before.declaration_revision) != (after.declaration_id, after.declaration_revision):
        found.append("declaration")
    elif before.declaration_event_id != after.declaration_event_id:
        found.append("audit")  # the same revision, released from an audit hold
    if (before.size, before.size_source, before.size_event_id) != (after.size, after.size_source, after.size_event_id):
        found.append("size")
    if before.policies != after.policies:
        found.append("policies")
    return tuple(found) or ("parameters",)


def deltas(previous: Liability, current: Liability) -> tuple[LineDelta, ...]:
    """Per insurance: new − previous (an insurance missing on one side counts as zero there)."""
    old = {line.insurance: line for line in previous.lines}
    new = {line.insurance: line for line in current.lines}
    out = []
    for insurance in sorted(old.keys() | new.keys()):
        a, b = old.get(insurance), new.get(insurance)

        def amount(line: LiabilityLine | None, field: str) -> int:
            return 0 if line is None else int(getattr(line, field))

        out.append(
            LineDelta(
                insurance=insurance,
                relief_before=None if a is None else a.relief,
                relief_after=None if b is None else b.relief,
                employer_original_fen=amount(b, "employer_original_fen") - amount(a, "employer_original_fen"),
                employer_relief_fen=amount(b, "employer_relief_fen") - amount(a, "employer_relief_fen"),
                employer_payable_fen=amount(b, "employer_payable_fen") - amount(a, "employer_payable_fen"),
                individual_fen=amount(b, "individual_fen") - amount(a, "individual_fen"),
            )
        )
    return tuple(out)
