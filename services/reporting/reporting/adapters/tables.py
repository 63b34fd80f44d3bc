"""The reporting service's database: the kernel's tables and its projections (one MetaData, which
Alembic migrates). Every `rp_` table belongs to exactly one projection and is derived from the log
alone, so `reporting rebuild` drops and rebuilds it; the reports are queries over these rows
(region and month totals are sums at query time, never kept twice). Amounts are integer fen."""

from __future__ import annotations

import sqlalchemy as sa

from eventkit.schema import JSONType, TZDateTime, kernel_tables
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


def _fen(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger, nullable=False, default=0)


def _project() -> sa.Column[str]:
    """A construction project insured per project (工程建设项目按项目参保): its code; "" on monthly rows."""
    return sa.Column("project", sa.String(64), primary_key=True, default="", server_default="")


# ---- projection `registry` (declaration.events) -------------------------------------------------
payers = sa.Table(
    "rp_payers",
    metadata,
    sa.Column("credit_code", sa.String(18), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("unit_type", sa.String(32), nullable=False),
    sa.Column("region", sa.String(6), nullable=False, index=True),
)
declared_lines = sa.Table(  # the current revision's lines of each payer-period (headcount, rates)
    "rp_declared_lines",
    metadata,
    sa.Column("credit_code", sa.String(18), primary_key=True),
    sa.Column("fee_period", sa.String(7), primary_key=True),
    sa.Column("insurance", sa.String(32), primary_key=True),
    sa.Column("region", sa.String(6), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("headcount", sa.Integer, nullable=False),
    sa.Column("employer_rate", sa.String(16), nullable=False),
    sa.Column("employer_original_rate", sa.String(16), nullable=True),
    sa.Index("ix_rp_declared_lines_region_period", "region", "fee_period"),
)

# ---- projection `liabilities` (relief.events) -------------------------------------------------------
liability_lines = sa.Table(  # each payer-period's (or project's) liability as it now stands, per insurance (employer part)
    "rp_liability_lines",
    metadata,
    sa.Column("credit_code", sa.String(18), primary_key=True),
    sa.Column("fee_period", sa.String(7), primary_key=True),  # a project's: its first month (开工月份)
    sa.Column("insurance", sa.String(32), primary_key=True),
    _project(),
    sa.Column("region", sa.String(6), nullable=False),
    sa.Column("unit_type", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # final | provisional
    sa.Column("relief", sa.String(16), nullable=False),  # exempt | halved | none (a project also: mixed)
    sa.Column("basis_policy", sa.String(100), nullable=True),
    sa.Column("basis_document", sa.String(200), nullable=True),
    _fen("employer_original_fen"),
    _fen("employer_relief_fen"),
    _fen("exempt_fen"),  # employer_relief_fen by kind: 免征 …
    _fen("halved_fen"),  # … and 减征 (they add up to employer_relief_fen)
    _fen("employer_payable_fen"),
    _fen("individual_fen"),
    sa.Index("ix_rp_liability_lines_region_period", "region", "fee_period"),
)
deferrals = sa.Table(  # approved deferrals (缓缴), one row per deferred payer-period-insurance
    "rp_deferrals",
    metadata,
    sa.Column("credit_code", sa.String(18), primary_key=True),
    sa.Column("fee_period", sa.String(7), primary_key=True),
    sa.Column("insurance", sa.String(32), primary_key=True),
    sa.Column("application_id", sa.String(64), primary_key=True),
    sa.Column("region", sa.String(6), nullable=False),
)

# ---- projection `ledger` (refund.events): the payer ledger folded per account, and the refunds ----
accounts = sa.Table(  # (fee period, insurance, part, project) of a payer; the unallocated account has fee_period ""
    "rp_accounts",
    metadata,
    sa.Column("credit_code", sa.String(18), primary_key=True),
    sa.Column("fee_period", sa.String(7), primary_key=True),
    sa.Column("insurance", sa.String(32), primary_key=True),
    sa.Column("part", sa.String(16), primary_key=True),
    _project(),
    _fen("due_fen"),
    _fen("paid_fen"),
    _fen("offset_in_fen"),
    _fen("credited_fen"),
    _fen("offset_out_fen"),
    _fen("refunded_fen"),
)
credits = sa.Table(  # credit lots (溢缴款) and the account they came from
    "rp_credits",
    metadata,
    sa.Column("credit_id", sa.String(64), primary_key=True),
    sa.Column("credit_code", sa.String(18), nullable=False, index=True),
    sa.Column("fee_period", sa.String(7), nullable=False),
    sa.Column("insurance", sa.String(32), nullable=False),
    sa.Column("part", sa.String(16), nullable=False),
    sa.Column("project", sa.String(64), nullable=False, default="", server_default=""),
    _fen("amount_fen"),
    sa.Column("settlement", sa.String(16), nullable=False),  # refund | offset
)
refunds = sa.Table(  # refund progress (退费进度)
    "rp_refunds",
    metadata,
    sa.Column("refund_id", sa.String(64), primary_key=True),
    sa.Column("credit_code", sa.String(18), nullable=False, index=True),
    _fen("amount_fen"),
    sa.Column("draws", JSONType, nullable=False),  # [{credit_id, amount_fen}]
    sa.Column("ex_officio", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("requested_at", TZDateTime, nullable=False),
    sa.Column("updated_at", TZDateTime, nullable=False),
)

# ---- projection `disputes` (classification.events): size disputes' progress (划型异议) ------------
disputes = sa.Table(
    "rp_disputes",
    metadata,
    sa.Column("dispute_id", sa.String(64), primary_key=True),
    sa.Column("credit_code", sa.String(18), nullable=False, index=True),
    sa.Column("claimed_size", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("opinions", sa.Integer, nullable=False),
    sa.Column("filed_at", TZDateTime, nullable=False),
    sa.Column("updated_at", TZDateTime, nullable=False),
    sa.Column("closed_at", TZDateTime, nullable=True),
)

# ---- projection `policies` (policy.events): the latest version of each policy document -----------
policies = sa.Table(
    "rp_policies",
    metadata,
    sa.Column("policy_id", sa.String(100), primary_key=True),
    sa.Column("document_number", sa.String(200), nullable=False),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("published", sa.String(10), nullable=False),
    sa.Column("period_from", sa.String(7), nullable=True),
    sa.Column("period_to", sa.String(7), nullable=True),
    sa.Column("content_hash", sa.String(80), nullable=False),
)

# ---- projection `medical-fund` (reporting.events): the officer's fund figures per city and month --
medical_fund = sa.Table(
    "rp_medical_fund",
    metadata,
    sa.Column("region", sa.String(6), primary_key=True),
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("balance_fen", sa.BigInteger, nullable=False),
    sa.Column("income_fen", sa.BigInteger, nullable=False),
    sa.Column("spending_fen", sa.BigInteger, nullable=False),
    sa.Column("note", sa.String(500), nullable=False),
    sa.Column("recorded_by", sa.String(200), nullable=False),
    sa.Column("recorded_at", TZDateTime, nullable=False),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # the entry's version in its stream: an older one never wins
)
