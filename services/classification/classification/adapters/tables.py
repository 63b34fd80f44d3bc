"""The classification service's database: the kernel's tables and its projections (one MetaData,
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

# ---- projections (rebuildable from classification.events) --------------------------------------
# Every size event of every payer, in stream order: the size in force for a fee period is the
# latest `corrected` row covering it, else the `assigned` row covering it; the history is the list.
size_records = sa.Table(
    "pj_size_records",
    metadata,
    sa.Column("credit_code", sa.String(18), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # assigned | corrected | flagged
    sa.Column("size", sa.String(16), nullable=False),
    sa.Column("previous_size", sa.String(16), nullable=True),
    sa.Column("statistical_year", sa.Integer, nullable=True),
    sa.Column("period_first", sa.String(7), nullable=True),
    sa.Column("period_last", sa.String(7), nullable=True),
    sa.Column("source_version", sa.String(100), nullable=True),
    sa.Column("import_id", sa.String(64), nullable=True),
    sa.Column("dispute_id", sa.String(40), nullable=True),
    sa.Column("flag_kind", sa.String(32), nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)

# Rows of province files an officer should look at (contradicting indicators, held size changes).
review_flags = sa.Table(
    "pj_review_flags",
    metadata,
    sa.Column("credit_code", sa.String(18), primary_key=True),
    sa.Column("statistical_year", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("imported_size", sa.String(16), nullable=False),
    sa.Column("expected_size", sa.String(16), nullable=True),
    sa.Column("industry", sa.String(8), nullable=False),
    sa.Column("indicators", sa.JSON, nullable=True),
    sa.Column("import_id", sa.String(64), nullable=False),
    sa.Column("source_version", sa.String(100), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
)

imports = sa.Table(
    "pj_imports",
    metadata,
    sa.Column("import_id", sa.String(64), primary_key=True),
    sa.Column("file_name", sa.String(200), nullable=True),
    sa.Column("file_format", sa.String(8), nullable=False),
    sa.Column("source_versions", sa.JSON, nullable=False),
    sa.Column("statistical_years", sa.JSON, nullable=False),
    sa.Column("summary", sa.JSON, nullable=False),
    sa.Column("applied_by", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)

# Open and closed disputes with their current step and its deadline (projection `disputes`).
disputes = sa.Table(
    "pj_disputes",
    metadata,
    sa.Column("dispute_id", sa.String(40), primary_key=True),
    sa.Column("credit_code", sa.String(18), nullable=False, index=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("statistical_year", sa.Integer, nullable=False),
    sa.Column("current_size", sa.String(16), nullable=True),
    sa.Column("claimed_size", sa.String(16), nullable=False),
    sa.Column("decided_size", sa.String(16), nullable=True),
    sa.Column("group_credit_code", sa.String(18), nullable=True),
    sa.Column("opinions", sa.JSON, nullable=False),
    sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("due", sa.DateTime(timezone=True), nullable=True),
)
sa.Index("ix_pj_disputes_status_due", disputes.c.status, disputes.c.due)

# A dispute's attached documents: immutable and content-addressed, written in the transaction that
# records DisputeFiled (which names them by SHA-256). Not a projection, and not derived.
dispute_documents = sa.Table(
    "dispute_documents",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("media_type", sa.String(100), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
)

# ---- projection `payer-marks`, rebuildable from declaration.events (新设骗取减免资质) ------------
# What the abuse signal compares: each payer's registration date (its earliest insured-since
# date), blind indexes of its bank account, legal representative and address, and the flags.
payer_marks = sa.Table(
    "pj_payer_marks",
    metadata,
    sa.Column("credit_code", sa.String(18), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("region", sa.String(6), nullable=False),
    sa.Column("registered_on", sa.String(10), nullable=False),
    sa.Column("predecessor", sa.String(18), nullable=True),
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
)
payer_keys = sa.Table(
    "pj_payer_keys",
    metadata,
    sa.Column("kind", sa.String(24), primary_key=True),  # bank_account | legal_representative | address
    sa.Column("blind_index", sa.String(64), primary_key=True),
    sa.Column("credit_code", sa.String(18), primary_key=True),
)
abuse_flags = sa.Table(
    "pj_abuse_flags",
    metadata,
    sa.Column("new_payer", sa.String(18), primary_key=True),
    sa.Column("existing_payer", sa.String(18), primary_key=True),
    sa.Column("kind", sa.String(24), primary_key=True),
    sa.Column("new_registered_on", sa.String(10), nullable=False),
    sa.Column("existing_registered_on", sa.String(10), nullable=False),
    sa.Column("declared_split", sa.Boolean, nullable=False),
    sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
)
