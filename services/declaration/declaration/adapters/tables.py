"""The declaration service's database: the kernel's tables and its projections (one MetaData,
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

# ---- projections (rebuildable from declaration.events) ----------------------------------------
payers = sa.Table(
    "pj_payers",
    metadata,
    sa.Column("credit_code", sa.String(18), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("unit_type", sa.String(32), nullable=False),
    sa.Column("region", sa.String(6), nullable=False, index=True),
    sa.Column("industry_section", sa.String(1), nullable=False),
    sa.Column("predecessor", sa.String(18), nullable=True),
    sa.Column("successors", sa.JSON, nullable=False),
    sa.Column("bank_account_masked", sa.String(40), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

declarations = sa.Table(
    "pj_declarations",
    metadata,
    sa.Column("declaration_id", sa.String(30), primary_key=True),
    sa.Column("credit_code", sa.String(18), nullable=False),
    sa.Column("fee_period", sa.String(7), nullable=False),
    sa.Column("region", sa.String(6), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("employer_fen", sa.BigInteger, nullable=False),
    sa.Column("individual_fen", sa.BigInteger, nullable=False),
    sa.Column("headcount", sa.Integer, nullable=False),
    sa.Column("upload_id", sa.String(36), nullable=True),
    sa.Column("upload_row", sa.Integer, nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("credit_code", "fee_period"),
)
sa.Index("ix_pj_declarations_region_status", declarations.c.region, declarations.c.status)

projects = sa.Table(
    "pj_projects",
    metadata,
    sa.Column("credit_code", sa.String(18), primary_key=True),  # the general contractor
    sa.Column("project_code", sa.String(30), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("region", sa.String(6), nullable=False),
    sa.Column("started", sa.String(10), nullable=False),
    sa.Column("planned_months", sa.Integer, nullable=False),
    sa.Column("premium_fen", sa.BigInteger, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# ---- projection rebuildable from relief.events (relief-calc's assessed liabilities) ------------
# The liability relief-calc last published for a payer-period, and the declaration revision it
# was derived from. `status` is relief-calc's (final | provisional) or `withdrawn`; a withdrawn
# liability keeps the revision it was withdrawn for and zero amounts. `version` is the liability
# stream's version, so an older event never overwrites a newer one.
liabilities = sa.Table(
    "pj_liabilities",
    metadata,
    sa.Column("credit_code", sa.String(18), primary_key=True),
    sa.Column("fee_period", sa.String(7), primary_key=True),
    sa.Column("declaration_id", sa.String(30), nullable=False),
    sa.Column("declaration_revision", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("withdrawn_reason", sa.String(40), nullable=True),
    sa.Column("size_used", sa.String(16), nullable=True),
    sa.Column("due_date", sa.String(10), nullable=True),
    sa.Column("employer_original_fen", sa.BigInteger, nullable=False),
    sa.Column("employer_relief_fen", sa.BigInteger, nullable=False),
    sa.Column("employer_payable_fen", sa.BigInteger, nullable=False),
    sa.Column("individual_fen", sa.BigInteger, nullable=False),
    sa.Column("lines", sa.JSON, nullable=False),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# ---- bulk intake ----------------------------------------------------------------------------------
# The uploaded files themselves: immutable, content-addressed documents (like a dispute's
# attachments), written once in the transaction that records DeclarationUploadReceived. Not a
# projection, and not derived: the events refer to them by upload id and SHA-256.
upload_documents = sa.Table(
    "upload_documents",
    metadata,
    sa.Column("upload_id", sa.String(36), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("format", sa.String(8), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
)
