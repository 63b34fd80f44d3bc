"""The assessor's inputs as the domain sees them, from rows of ``rc_declarations`` and ``rc_sizes``
(shared by the assessor and the impact simulation, so both read the inputs the same way)."""

from __future__ import annotations

from typing import Any

from relief_calc.domain.assessing import DeclarationInput, SizeInput


def declaration_input(row: Any) -> DeclarationInput:
    """A row of ``rc_declarations`` (the current revision of one payer-period)."""
    return DeclarationInput(
        credit_code=row.credit_code,
        fee_period=row.fee_period,
        declaration_id=row.declaration_id,
        revision=row.revision,
        event_id=row.event_id,
        status=row.status,
        region=row.region,
        unit_type=row.unit_type,
        lines=tuple(row.lines),
    )


def size_input(row: Any) -> SizeInput:
    """The size in force from a row of ``rc_sizes`` (None: no row): a correction wins over any
    assignment; neither: not classified."""
    if row is None:
        return SizeInput()
    if row.corrected_size is not None:
        return SizeInput(row.corrected_size, "corrected", row.corrected_event_id)
    if row.assigned_size is not None:
        return SizeInput(row.assigned_size, "assigned", row.assigned_event_id)
    return SizeInput()
