"""The assessed liability of a construction project insured per project (工程建设项目按项目参保的
工伤保险, DOMAIN.md §2.5), as events on `relief.events`.

Stream `project-liability-<credit code>-<project code>`, subject (Kafka key) the general
contractor's credit code. Like the monthly liabilities, every event carries the whole liability
as it now stands — the lump-sum premium, the prorated relief and what is payable, the months of
the planned construction period that were relieved — and the versions of the inputs it was
derived from (the project revision and event, the contractor's size for the project's first fee
period and its source, the construction-project and relief policies used with their content
hashes):

* ``ProjectLiabilityAssessed``: the first assessment of a project;
* ``ProjectLiabilityReassessed``: an input changed (a correction, a size, a policy); with the
  deltas (new − previous; a negative payable delta is money the contractor is owed back).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from eventkit.events import Event
from relief_calc.domain.liability_events import PolicyRef


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProjectInputs(_Part):
    project_id: str
    project_revision: int
    project_event_id: str
    size_period: str  # the fee period whose size is used: the project's first (开工月份)
    size: str | None  # None: not classified yet (assessed as large, provisional)
    size_source: str | None  # assigned | corrected | None
    size_event_id: str | None
    policies: tuple[PolicyRef, ...]  # construction-project and relief policies used


class ProjectLiability(_Part):
    """A project's work-injury premium as it now stands: relief prorated over the planned months."""

    credit_code: str  # the general contractor (总承包单位)
    project_code: str
    region: str
    unit_type: str
    status: str  # final | provisional (contractor's size unknown: assessed as large)
    size_used: str | None
    started: str  # YYYY-MM-DD
    fee_period: str  # the project's first fee period (the month it started)
    planned_months: int
    insurance: str  # work_injury
    relief: str  # exempt | halved | mixed | none
    months_in_window: int
    months_exempt: int
    months_halved: int
    premium_fen: int
    relief_fen: int
    payable_fen: int
    basis: tuple[str, ...]  # the policy ids the relief follows (construction-project policy first)
    inputs: ProjectInputs


class ProjectLiabilityAssessed(Event):
    name = "relief.ProjectLiabilityAssessed"
    liability: ProjectLiability


class ProjectLiabilityReassessed(Event):
    name = "relief.ProjectLiabilityReassessed"
    liability: ProjectLiability
    reasons: tuple[str, ...]  # project | size | policies | parameters
    previous_status: str
    payable_delta_fen: int
    relief_delta_fen: int
    premium_delta_fen: int


PROJECT_LIABILITY_EVENTS = (ProjectLiabilityAssessed, ProjectLiabilityReassessed)


def project_liability_stream(credit_code: str, project_code: str) -> str:
    return f"project-liability-{credit_code}-{project_code}"
