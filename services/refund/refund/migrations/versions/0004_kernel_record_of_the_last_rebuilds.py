"""kernel: the record of each projection's last rebuild (es_rebuilds, eventkit.rebuild_record)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "es_rebuilds",
        sa.Column("projection", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("milliseconds", sa.BigInteger(), nullable=False),
        sa.Column("rebuilt_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("projection", name=op.f("pk_es_rebuilds")),
    )


def downgrade() -> None:
    op.drop_table("es_rebuilds")
