"""Assessment of construction projects from the log: which event (if any) a project's current
inputs call for. The same order-independent derivation as the monthly liabilities
(relief_calc.domain.assessing, DESIGN.md §3.6): a pure function of the project's current revision,
the general contractor's size in force for the project's first fee period, every policy known,
and the liability as last recorded — whichever input arrived last, the result is the same.

* no liability recorded: ``ProjectLiabilityAssessed``;
* recorded, and the inputs now give a different one (any amount, status or input version):
  ``ProjectLiabilityReassessed`` with the reasons and deltas;
* otherwise nothing.

The relief itself is relief_calc.domain.projects.project_relief (the 试算 preview's computation):
each planned month gets the work-injury relief the rules in force give the contractor for that fee
period, prorated over the planned months and rounded once. The size is the contractor's for the
month the project started (sizes are fixed per statistical year; a project's months after 2020
carry no relief), so a size that reaches that month reassesses the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from eventkit.events import Event
from refdata.enums import Size, UnitType
from refdata.periods import FeePeriod
from relief_calc.domain.assessing import SizeInput
from relief_calc.domain.engine import Payer
from relief_calc.domain.liability_events import PolicyRef
from relief_calc.domain.policies import PolicySet
from relief_calc.domain.project_liability_events import (
    ProjectInputs,
    ProjectLiability,
    ProjectLiabilityAssessed,
    ProjectLiabilityReassessed,
)
from relief_calc.domain.projects import project_relief

INSURANCE = "work_injury"


@dataclass(frozen=True)
class ProjectInput:
    """The current revision of a contractor's project, as declared."""

    credit_code: str
    project_code: str
    project_id: str
    revision: int
    event_id: str
    region: str
    unit_type: str
    started: str  # YYYY-MM-DD
    planned_months: int
    premium_fen: int

    @property
    def first_period(self) -> str:
        return str(FeePeriod.from_date(date.fromisoformat(self.started)))


@dataclass(frozen=True)
class RecordedProject:
    """The project liability as last recorded: its stream's version and last event."""

    version: int = 0
    last: Event | None = None

    @property
    def liability(self) -> ProjectLiability | None:
        if isinstance(self.last, ProjectLiabilityAssessed | ProjectLiabilityReassessed):
            return self.last.liability
        return None


def project_liability_of(project: ProjectInput, size: SizeInput, policies: PolicySet) -> ProjectLiability:
    known_size = None if size.size is None or size.size == "unclassifiable" else Size(size.size)
    relief = project_relief(
        Payer(unit_type=UnitType(project.unit_type), region=project.region),
        known_size,
        started=date.fromisoformat(project.started),
        planned_months=project.planned_months,
        premium_fen=project.premium_fen,
        policies=policies,
    )
    used = _policies_used(relief.trace)
    size_step = next(s for s in relief.trace if s["step"] == "size")
    return ProjectLiability(
        credit_code=project.credit_code,
        project_code=project.project_code,
        region=project.region,
        unit_type=project.unit_type,
        status="provisional" if relief.provisional else "final",
        size_used=size_step["size_used"],
        started=project.started,
        fee_period=project.first_period,
        planned_months=project.planned_months,
        insurance=INSURANCE,
        relief=relief.relief,
        months_in_window=relief.months_in_window,
        months_exempt=relief.months_exempt,
        months_halved=relief.months_halved,
        premium_fen=relief.premium_fen,
        relief_fen=relief.relief_fen,
        payable_fen=relief.payable_fen,
        basis=used,
        inputs=ProjectInputs(
            project_id=project.project_id,
            project_revision=project.revision,
            project_event_id=project.event_id,
            size_period=project.first_period,
            size=size.size,
            size_source=size.source,
            size_event_id=size.event_id,
            policies=tuple(PolicyRef(id=pid, content_hash=policies.get(pid).content_hash()) for pid in sorted(used)),
        ),
    )


def _policies_used(trace: tuple[dict[str, Any], ...]) -> tuple[str, ...]:
    """The construction-project policy (and its amendments) first, then every relief policy that
    decided a month, each once, in the order met."""
    found: list[str] = []
    for step in trace:
        if step["step"] in ("policy", "month"):
            ids = [step["policy"], *(a if isinstance(a, str) else a["policy"] for a in step.get("amended_by", ()))]
            found.extend(i for i in ids if i not in found)
    return tuple(found)


def next_project_event(recorded: RecordedProject, project: ProjectInput, size: SizeInput, policies: PolicySet) -> Event | None:
    current = project_liability_of(project, size, policies)
    previous = recorded.liability
    if previous is None:
        return ProjectLiabilityAssessed(liability=current)
    if current == previous:
        return None
    return ProjectLiabilityReassessed(
        liability=current,
        reasons=reasons(previous, current),
        previous_status=previous.status,
        payable_delta_fen=current.payable_fen - previous.payable_fen,
        relief_delta_fen=current.relief_fen - previous.relief_fen,
        premium_delta_fen=current.premium_fen - previous.premium_fen,
    )


def reasons(previous: ProjectLiability, current: ProjectLiability) -> tuple[str, ...]:
    before, after = previous.inputs, current.inputs
    found = []
    if (before.project_revision, before.project_event_id) != (after.project_revision, after.project_event_id):
        found.append("project")
    if (before.size_period, before.size, before.size_source, before.size_event_id) != (
        after.size_period,
        after.size,
        after.size_source,
        after.size_event_id,
    ):
        found.append("size")
    if before.policies != after.policies:
        found.append("policies")
    return tuple(found) or ("parameters",)
