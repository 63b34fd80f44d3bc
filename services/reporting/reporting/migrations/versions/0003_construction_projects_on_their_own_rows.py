"""construction projects insured per project (工程建设项目按项目参保) on rows of their own

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 15:30:00.000000

rp_liability_lines and rp_accounts gain `project` ("" on monthly rows) in their primary key, so a
project's premium (relief.ProjectLiability*, refund entries with `project`) is never folded into
the contractor's monthly work-injury lines; rp_credits remembers the project of the account a
credit came from. rp_liability_lines also gains the relief by kind (exempt_fen, halved_fen),
backfilled from the relief kind of the existing lines (a project's may be of both kinds).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = {
    "rp_liability_lines": ["credit_code", "fee_period", "insurance"],
    "rp_accounts": ["credit_code", "fee_period", "insurance", "part"],
}


def _project() -> sa.Column[str]:
    return sa.Column("project", sa.String(length=64), nullable=False, server_default="")


def upgrade() -> None:
    for table, keys in KEYS.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(_project())
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_primary_key(f"pk_{table}", [*keys, "project"])
    with op.batch_alter_table("rp_liability_lines") as batch:
        batch.add_column(sa.Column("exempt_fen", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("halved_fen", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE rp_liability_lines SET"
        " exempt_fen = CASE WHEN relief = 'exempt' THEN employer_relief_fen ELSE 0 END,"
        " halved_fen = CASE WHEN relief = 'halved' THEN employer_relief_fen ELSE 0 END"
    )
    with op.batch_alter_table("rp_liability_lines") as batch:
        batch.alter_column("exempt_fen", server_default=None)
        batch.alter_column("halved_fen", server_default=None)
    with op.batch_alter_table("rp_credits") as batch:
        batch.add_column(_project())


def downgrade() -> None:
    with op.batch_alter_table("rp_credits") as batch:
        batch.drop_column("project")
    with op.batch_alter_table("rp_liability_lines") as batch:
        batch.drop_column("halved_fen")
        batch.drop_column("exempt_fen")
    for table, keys in KEYS.items():
        op.execute(f"DELETE FROM {table} WHERE project <> ''")  # a project's rows have no place without the column
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_primary_key(f"pk_{table}", keys)
            batch.drop_column("project")
