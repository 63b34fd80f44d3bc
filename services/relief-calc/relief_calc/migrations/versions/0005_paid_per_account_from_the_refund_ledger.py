"""paid per account from the refund ledger (projection paid)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('rc_paid',
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('fee_period', sa.String(length=7), nullable=False),
    sa.Column('insurance', sa.String(length=16), nullable=False),
    sa.Column('part', sa.String(length=16), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('credit_code', 'fee_period', 'insurance', 'part', 'event_id', name=op.f('pk_rc_paid'))
    )


def downgrade() -> None:
    op.drop_table('rc_paid')
