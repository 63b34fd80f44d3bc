"""construction projects insured per project (rc_projects) and the project assessor's marks

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('rc_projects',
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('project_code', sa.String(length=30), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('region', sa.String(length=6), nullable=False),
    sa.Column('unit_type', sa.String(length=32), nullable=False),
    sa.Column('started', sa.String(length=10), nullable=False),
    sa.Column('first_period', sa.String(length=7), nullable=False),
    sa.Column('planned_months', sa.Integer(), nullable=False),
    sa.Column('premium_fen', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('credit_code', 'project_code', name=op.f('pk_rc_projects'))
    )
    op.create_table('rc_pending_project_assessments',
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('project_code', sa.String(length=30), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('credit_code', 'project_code', name=op.f('pk_rc_pending_project_assessments'))
    )


def downgrade() -> None:
    op.drop_table('rc_pending_project_assessments')
    op.drop_table('rc_projects')
