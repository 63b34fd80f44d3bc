"""the liabilities relief-calc assessed (from relief.events); the assessment is derived on read

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:00:00.000000

pj_declarations.assessment_status only ever held what the declaration side knew (held, pending,
not applicable); the API now derives the assessment from the declaration's status and revision
and pj_liabilities, so the column goes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pj_liabilities',
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('fee_period', sa.String(length=7), nullable=False),
    sa.Column('declaration_id', sa.String(length=30), nullable=False),
    sa.Column('declaration_revision', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('withdrawn_reason', sa.String(length=40), nullable=True),
    sa.Column('size_used', sa.String(length=16), nullable=True),
    sa.Column('due_date', sa.String(length=10), nullable=True),
    sa.Column('employer_original_fen', sa.BigInteger(), nullable=False),
    sa.Column('employer_relief_fen', sa.BigInteger(), nullable=False),
    sa.Column('employer_payable_fen', sa.BigInteger(), nullable=False),
    sa.Column('individual_fen', sa.BigInteger(), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('credit_code', 'fee_period', name=op.f('pk_pj_liabilities'))
    )
    with op.batch_alter_table('pj_declarations') as batch:
        batch.drop_column('assessment_status')


def downgrade() -> None:
    with op.batch_alter_table('pj_declarations') as batch:
        batch.add_column(sa.Column('assessment_status', sa.String(length=24), nullable=False, server_default='pending_assessment'))
    op.execute(
        "UPDATE pj_declarations SET assessment_status = CASE status"
        " WHEN 'held_for_audit' THEN 'held_for_audit'"
        " WHEN 'voided' THEN 'not_applicable' WHEN 'audit_rejected' THEN 'not_applicable'"
        " ELSE 'pending_assessment' END"
    )
    with op.batch_alter_table('pj_declarations') as batch:
        batch.alter_column('assessment_status', server_default=None)
    op.drop_table('pj_liabilities')
