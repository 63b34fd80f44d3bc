"""The relief-calc service's database: the kernel's tables and its projections (one MetaData,
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

# ---- the assessor's inputs (projection "inputs": declaration, classification and policy events) --
declarations = sa.Table(
    "rc_declarations",
    metadata,
    sa.Column("credit_code", sa.String(18), primary_key=True),
    sa.Column("fee_period", sa.String(7), primary_key=True),
    sa.Column("declaration_id", sa.String(64), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("event_id", sa.String(36), nullable=False),  # the event that set this revision
    sa.Column("status", sa.String(16), nullable=False),  # active | held | voided | rejected
    sa.Column("region", sa.String(6), nullable=False),
    sa.Column("unit_type", sa.String(32), nullable=False),
    sa.Column(
        "lines", sa.JSON, nullable=False
    ),  # [{insurance, base_fen, employer_rate, individual_rate, employer_original_rate}]
    sa.Index("ix_rc_declarations_period_region", "fee_period", "region"),
)
sizes = sa.Table(
    "rc_sizes",
    metadata,
    sa.Column("credit_code", sa.String(18), primary_key=True),
    sa.Column("fee_period", sa.String(7), primary_key=True),
    sa.Column("assigned_size", sa.String(16)),
    sa.Column("assigned_event_id", sa.String(36)),
    sa.Column("corrected_size", sa.String(16)),  # a correction wins over any assignment
    sa.Column("corrected_event_id", sa.String(36)),
)
policies = sa.Table(
    "rc_policies",
    metadata,
    sa.Column("policy_id", sa.String(64), primary_key=True),
    sa.Column("published", sa.Date, primary_key=True),
    sa.Column("content_hash", sa.String(80), nullable=False),
    sa.Column("document", sa.JSON, nullable=False),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),  # the event's time
)

# ---- construction projects insured per project (projection "inputs": declaration.Project*) -------
projects = sa.Table(
    "rc_projects",
    metadata,
    sa.Column("credit_code", sa.String(18), primary_key=True),  # the general contractor
    sa.Column("project_code", sa.String(30), primary_key=True),
    sa.Column("project_id", sa.String(64), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("event_id", sa.String(36), nullable=False),  # the event that set this revision
    sa.Column("region", sa.String(6), nullable=False),
    sa.Column("unit_type", sa.String(32), nullable=False),
    sa.Column("started", sa.String(10), nullable=False),  # YYYY-MM-DD
    sa.Column("first_period", sa.String(7), nullable=False),  # the month it started: its size decides
    sa.Column("planned_months", sa.Integer, nullable=False),
    sa.Column("premium_fen", sa.BigInteger, nullable=False),
)

# ---- work the assessor has to do (not a projection: neither rebuilt nor fingerprinted) -----------
pending = sa.Table(
    "rc_pending_assessments",
    metadata,
    sa.Column("credit_code", sa.String(18), primary_key=True),
    sa.Column("fee_period", sa.String(7), primary_key=True),
    sa.Column("generation", sa.Integer, nullable=False),  # bumped by every new mark
    sa.Column("job_id", sa.String(120)),  # the reassessment job that marked it, if any
    sa.Column("reason", sa.String(16), nullable=False),
    sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_error", sa.Text),  # set when assessing failed; a new mark clears it
    sa.Index("ix_rc_pending_assessments_marked_at", "marked_at"),  # the assessor takes the oldest first
)
pending_projects = sa.Table(
    "rc_pending_project_assessments",
    metadata,
    sa.Column("credit_code", sa.String(18), primary_key=True),
    sa.Column("project_code", sa.String(30), primary_key=True),
    sa.Column("generation", sa.Integer, nullable=False),  # bumped by every new mark
    sa.Column("reason", sa.String(16), nullable=False),
    sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_error", sa.Text),  # set when assessing failed; a new mark clears it
)
jobs = sa.Table(
    "rc_reassessment_jobs",
    metadata,
    sa.Column("job_id", sa.String(120), primary_key=True),  # policy-<id>@<published>
    sa.Column("policy_id", sa.String(64), nullable=False),
    sa.Column("content_hash", sa.String(80), nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# ---- read model of the liabilities (projection "liabilities", fed by relief.events) -------------
liabilities = sa.Table(
    "pj_liabilities",
    metadata,
    sa.Column("credit_code", sa.String(18), primary_key=True),
    sa.Column("fee_period", sa.String(7), primary_key=True),
    sa.Column("region", sa.String(6), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # final | provisional | withdrawn
    sa.Column("size_used", sa.String(16)),
    sa.Column("declaration_revision", sa.Integer, nullable=False),
    sa.Column("employer_original_fen", sa.BigInteger, nullable=False),
    sa.Column("employer_relief_fen", sa.BigInteger, nullable=False),
    sa.Column("employer_payable_fen", sa.BigInteger, nullable=False),
    sa.Column("individual_fen", sa.BigInteger, nullable=False),
    sa.Column("due_date", sa.String(10), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # the liability stream's version
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_pj_liabilities_region_period", "region", "fee_period"),
)
