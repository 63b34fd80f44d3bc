"""The refund service's database: the kernel's tables and its projections (one MetaData,
which Alembic migrates)."""

from __future__ import annotations

import sqlalchemy as sa

from eventkit.schema import kernel_tables
from eventkit.streams import stream_index_table

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
kernel = kernel_tables(metadata)
stream_index = stream_index_table(metadata)

# ---- projection `refunds` (refund.events): one row per refund, for lists and the bank worker ------
refunds = sa.Table(
    "rf_refunds",
    metadata,
    sa.Column("refund_id", sa.String(35), primary_key=True),
    sa.Column("credit_code", sa.String(18), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("amount_fen", sa.BigInteger, nullable=False),
    sa.Column("ex_officio", sa.Boolean, nullable=False),
    sa.Column("requested_by", sa.String(200), nullable=False),
    sa.Column("account_masked", sa.String(64), nullable=False),
    sa.Column("message_id", sa.String(35), nullable=True),
    sa.Column("reason_code", sa.String(8), nullable=True),
    sa.Column("flagged", sa.Boolean, nullable=False),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_rf_refunds_status", "status", "updated_at"),
    sa.Index("ix_rf_refunds_payer", "credit_code", "requested_at"),
)

# ---- the bank worker's own schedule (operational state, not a projection: never rebuilt) ----------
bank_work = sa.Table(
    "rf_bank_work",
    metadata,
    sa.Column("refund_id", sa.String(35), primary_key=True),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),  # next look at the bank
    sa.Column("tries", sa.Integer, nullable=False),  # unanswered or unsettled looks so far
    sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),  # a worker holds it until then
    sa.Column("last_error", sa.String(500), nullable=True),
)
