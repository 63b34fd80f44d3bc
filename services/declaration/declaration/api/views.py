"""Domain state → response bodies; personal data only ever masked."""

from __future__ import annotations

from datetime import date

from declaration.api.schemas import AssessedLineOut, AssessmentOut, DeclarationOut, EmployeeOut, LineOut, MaskedOut, PayerOut
from declaration.domain import aggregates as agg
from declaration.domain.assessment import StandingLiability, assessment_status
from declaration.domain.events import DeclarationLine


def payer_out(state: agg.PayerState) -> PayerOut:
    p = state.profile
    assert p is not None
    return PayerOut(
        credit_code=p.credit_code,
        name=p.name,
        unit_type=p.unit_type,
        region=p.region,
        industry_section=p.industry_section,
        industry_division=p.industry_division,
        work_injury_class=p.work_injury_class,
        work_injury_grade=p.work_injury_grade,
        enrollments=[{"insurance": e.insurance, "since": e.since} for e in p.enrollments],  # type: ignore[misc]
        bank_name=p.bank_name,
        bank_account=MaskedOut(masked=p.bank_account.masked) if p.bank_account else None,
        contact_name=MaskedOut(masked=p.contact.name.masked) if p.contact.name else None,
        contact_phone=MaskedOut(masked=p.contact.phone.masked) if p.contact.phone else None,
        legal_representative_name=MaskedOut(masked=p.legal_representative_name.masked) if p.legal_representative_name else None,
        legal_representative_id=MaskedOut(masked=p.legal_representative_id.masked) if p.legal_representative_id else None,
        address=p.address,
        predecessor=p.predecessor,
        successors=list(state.successors),
        version=state.version,
    )


def line_out(line: DeclarationLine) -> LineOut:
    return LineOut(
        insurance=line.insurance,
        headcount=line.headcount,
        base_fen=line.base_fen,
        employer_rate=line.employer_rate,
        individual_rate=line.individual_rate,
        employer_original_rate=line.employer_original_rate,
        employer_fen=line.employer_fen,
        individual_fen=line.individual_fen,
        employees=[
            EmployeeOut(id_number=MaskedOut(masked=e.id_number.masked), name=MaskedOut(masked=e.name.masked), base_fen=e.base_fen)
            for e in line.employees
        ],
    )


def assessment_out(declaration_status: str, revision: int, liability: StandingLiability | None) -> AssessmentOut:
    status = assessment_status(declaration_status, revision, liability)
    if liability is None or liability.withdrawn:
        return AssessmentOut(
            status=status,
            revision_assessed=liability.declaration_revision if liability else None,
            employer_original_fen=None,
            employer_relief_fen=None,
            employer_payable_fen=None,
            individual_fen=None,
            due_date=None,
            size_used=None,
            lines=[],
            assessed_at=liability.updated_at if liability else None,
        )
    return AssessmentOut(
        status=status,
        revision_assessed=liability.declaration_revision,
        employer_original_fen=liability.employer_original_fen,
        employer_relief_fen=liability.employer_relief_fen,
        employer_payable_fen=liability.employer_payable_fen,
        individual_fen=liability.individual_fen,
        due_date=date.fromisoformat(liability.due_date) if liability.due_date else None,
        size_used=liability.size_used,
        lines=[AssessedLineOut.model_validate(line) for line in liability.lines],
        assessed_at=liability.updated_at,
    )


def declaration_out(state: agg.DeclarationState, liability: StandingLiability | None = None) -> DeclarationOut:
    d = state.content
    assert d is not None
    return DeclarationOut(
        declaration_id=d.declaration_id,
        credit_code=d.credit_code,
        fee_period=d.fee_period,
        revision=state.revision,
        status=state.status,  # type: ignore[arg-type]
        region=d.region,
        unit_type=d.unit_type,
        lines=[line_out(line) for line in d.lines],
        employer_fen=d.employer_fen,
        individual_fen=d.individual_fen,
        assessment=assessment_out(state.status, state.revision, liability),
    )
