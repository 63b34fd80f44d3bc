"""Liability events (monthly and construction projects) as relief-calc publishes them, for other services' tests that act as relief-calc
on the shared log (complete events, valid against the published schema, so that every strict
reader of relief.events can read them too)."""

from __future__ import annotations

from eventkit.envelope import Envelope
from eventkit.events import new_envelope
from relief_calc.domain.liability_events import (
    Inputs,
    Liability,
    LiabilityAssessed,
    LiabilityLine,
    LiabilityReassessed,
    LineDelta,
    liability_stream,
)
from relief_calc.domain.project_liability_events import (
    ProjectInputs,
    ProjectLiability,
    ProjectLiabilityAssessed,
    ProjectLiabilityReassessed,
    project_liability_stream,
)


def liability(
    code: str, period: str, employer_original_fen: int, employer_payable_fen: int, individual_fen: int = 0
) -> Liability:
    """One payer-period with a pension line: the employer part relieved down to `employer_payable_fen`."""
    relief = employer_original_fen - employer_payable_fen
    kind = "none" if relief == 0 else "exempt" if employer_payable_fen == 0 else "halved"
    line = LiabilityLine(
        insurance="pension", relief=kind, employer_original_fen=employer_original_fen, employer_relief_fen=relief,
        employer_payable_fen=employer_payable_fen, individual_fen=individual_fen,
    )  # fmt: skip
    return Liability(
        credit_code=code, fee_period=period, region="320600", unit_type="enterprise", status="final", size_used="small",
        due_date=f"{period}-25", lines=(line,), employer_original_fen=employer_original_fen, employer_relief_fen=relief,
        employer_payable_fen=employer_payable_fen, individual_fen=individual_fen,
        inputs=Inputs(
            declaration_id=f"D-{code}-{period}", declaration_revision=1, declaration_event_id=f"evt-{code}-{period}",
            size="small", size_source="assigned", size_event_id=None, policies=(),
        ),
    )  # fmt: skip


def liability_envelope(now: Liability, version: int, before: Liability | None = None) -> Envelope:
    """`LiabilityAssessed` (no `before`) or `LiabilityReassessed` from `before`, at `version` of the
    payer-period's liability stream, as relief-calc's relay publishes it."""
    if before is None:
        event: LiabilityAssessed | LiabilityReassessed = LiabilityAssessed(liability=now)
    else:
        b, n = before.lines[0], now.lines[0]
        event = LiabilityReassessed(
            liability=now, reasons=("policies",), previous_status=before.status,
            deltas=(
                LineDelta(
                    insurance=n.insurance, relief_before=b.relief, relief_after=n.relief,
                    employer_original_fen=n.employer_original_fen - b.employer_original_fen,
                    employer_relief_fen=n.employer_relief_fen - b.employer_relief_fen,
                    employer_payable_fen=n.employer_payable_fen - b.employer_payable_fen,
                    individual_fen=n.individual_fen - b.individual_fen,
                ),
            ),
            employer_payable_delta_fen=now.employer_payable_fen - before.employer_payable_fen,
            employer_relief_delta_fen=now.employer_relief_fen - before.employer_relief_fen,
            individual_delta_fen=now.individual_fen - before.individual_fen,
        )  # fmt: skip
    return new_envelope(
        event, source="/relief/relief-calc", subject=now.credit_code,
        stream_id=liability_stream(now.credit_code, now.fee_period), stream_version=version,
    )  # fmt: skip


def project_liability(
    code: str, project_code: str, premium_fen: int, relief_fen: int, months_exempt: int = 0
) -> ProjectLiability:
    """A small contractor's project started 2020-03-01 for 12 months, relieved by `relief_fen`."""
    return ProjectLiability(
        credit_code=code, project_code=project_code, region="320600", unit_type="enterprise", status="final",
        size_used="small", started="2020-03-01", fee_period="2020-03", planned_months=12, insurance="work_injury",
        relief="exempt" if relief_fen else "none", months_in_window=months_exempt, months_exempt=months_exempt,
        months_halved=0, premium_fen=premium_fen, relief_fen=relief_fen, payable_fen=premium_fen - relief_fen, basis=(),
        inputs=ProjectInputs(
            project_id=f"{code}-{project_code}", project_revision=1, project_event_id=f"evt-{code}-{project_code}",
            size_period="2020-03", size="small", size_source="assigned", size_event_id=None, policies=(),
        ),
    )  # fmt: skip


def project_liability_envelope(now: ProjectLiability, version: int, before: ProjectLiability | None = None) -> Envelope:
    """`ProjectLiabilityAssessed` (no `before`) or `…Reassessed` from `before`, as relief-calc publishes it."""
    if before is None:
        event: ProjectLiabilityAssessed | ProjectLiabilityReassessed = ProjectLiabilityAssessed(liability=now)
    else:
        event = ProjectLiabilityReassessed(
            liability=now, reasons=("policies",), previous_status=before.status,
            payable_delta_fen=now.payable_fen - before.payable_fen, relief_delta_fen=now.relief_fen - before.relief_fen,
            premium_delta_fen=now.premium_fen - before.premium_fen,
        )  # fmt: skip
    return new_envelope(
        event, source="/relief/relief-calc", subject=now.credit_code,
        stream_id=project_liability_stream(now.credit_code, now.project_code), stream_version=version,
    )  # fmt: skip
