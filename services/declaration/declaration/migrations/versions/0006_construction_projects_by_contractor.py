"""construction projects insured per project, by general contractor (projection declarations)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pj_projects',
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('project_code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=6), nullable=False),
    sa.Column('started', sa.String(length=10), nullable=False),
    sa.Column('planned_months', sa.Integer(), nullable=False),
    sa.Column('premium_fen', sa.BigInteger(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('credit_code', 'project_code', name=op.f('pk_pj_projects'))
    )


def downgrade() -> None:
    op.drop_table('pj_projects')
