"""The assessment a declaration shows, from its own state and the standing liability, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from declaration.domain import aggregates as agg
from declaration.domain.assessment import StandingLiability, assessment_status


def standing(revision: int, status: str = "final") -> StandingLiability:
    return StandingLiability(
        declaration_revision=revision,
        status=status,
        employer_original_fen=100,
        employer_relief_fen=100 if status != "withdrawn" else 0,
        employer_payable_fen=0,
        individual_fen=50 if status != "withdrawn" else 0,
        due_date="2020-03-15",
        size_used="small",
        lines=(),
        updated_at=datetime(2020, 4, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("declared", "revision", "liability", "expected"),
    [
        (agg.SUBMITTED, 1, None, "pending_assessment"),
        (agg.SUBMITTED, 1, standing(1), "assessed"),
        (agg.SUBMITTED, 1, standing(1, "provisional"), "provisional"),
        (agg.SUBMITTED, 2, standing(1), "pending_assessment"),  # a correction relief-calc has not answered
        (agg.SUBMITTED, 3, standing(2, "withdrawn"), "pending_assessment"),  # declared again after a void
        (agg.HELD, 1, None, "held_for_audit"),
        (agg.HELD, 2, standing(1), "held_for_audit"),
        (agg.VOIDED, 1, None, "not_applicable"),
        (agg.VOIDED, 1, standing(1), "pending_assessment"),  # the liability stands until withdrawn
        (agg.VOIDED, 1, standing(1, "withdrawn"), "withdrawn"),
        (agg.REJECTED, 2, standing(1), "pending_assessment"),
        (agg.REJECTED, 2, standing(1, "withdrawn"), "withdrawn"),
        (agg.REJECTED, 1, None, "not_applicable"),
    ],
)
def test_assessment_status(declared: str, revision: int, liability: StandingLiability | None, expected: str) -> None:
    assert assessment_status(declared, revision, liability) == expected


@given(
    declared=st.sampled_from([agg.SUBMITTED, agg.HELD, agg.VOIDED, agg.REJECTED]),
    revision=st.integers(1, 9),
    assessed=st.none() | st.tuples(st.integers(1, 9), st.sampled_from(["final", "provisional", "withdrawn"])),
)
def test_only_the_current_revision_of_a_submitted_declaration_counts_as_assessed(
    declared: str, revision: int, assessed: tuple[int, str] | None
) -> None:
    liability = standing(*assessed) if assessed else None
    status = assessment_status(declared, revision, liability)
    is_current = liability is not None and liability.declaration_revision == revision and not liability.withdrawn
    assert (status in ("assessed", "provisional")) == (declared == agg.SUBMITTED and is_current)
