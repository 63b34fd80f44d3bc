"""The subscriptions service's database: the kernel's tables, its projections and the delivery
queue (one MetaData, which Alembic migrates)."""

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

# ---- projection `webhooks` (subscriptions.events): the registered webhooks ------------------------
webhooks = sa.Table(
    "sb_webhooks",
    metadata,
    sa.Column("webhook_id", sa.String(40), primary_key=True),
    sa.Column("agency", sa.String(200), nullable=False, index=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("event_types", JSONType, nullable=False),
    sa.Column("secret", sa.String(500), nullable=False),  # the sealed secret (enc:v1:…), never the plaintext
    sa.Column("description", sa.String(500), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # active | revoked
    sa.Column("registered_by", sa.String(200), nullable=False),
    sa.Column("registered_at", TZDateTime, nullable=False),
    sa.Column("revoked_at", TZDateTime, nullable=True),
)

# ---- projection `archive` (public.* topics): every public event, for replays ---------------------
public_events = sa.Table(
    "sb_public_events",
    metadata,
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("event_type", sa.String(200), nullable=False),
    sa.Column("subject", sa.String(64), nullable=False),
    sa.Column("time", TZDateTime, nullable=False),
    sa.Column("topic", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # the exact JSON delivered (CloudEvents, structured mode)
    sa.Index("ix_sb_public_events_time", "time", "event_id"),
)

# ---- the delivery queue and its log (operational state, not projections: never rebuilt) ---------
deliveries = sa.Table(
    "sb_deliveries",
    metadata,
    sa.Column("delivery_id", sa.String(40), primary_key=True),  # the webhook-id header, kept on retries
    sa.Column("webhook_id", sa.String(40), nullable=False),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("event_type", sa.String(200), nullable=False),
    sa.Column("replay_id", sa.String(40), nullable=True),  # null: a live delivery
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | delivered | failed | cancelled
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", TZDateTime, nullable=True),
    sa.Column("lease_until", TZDateTime, nullable=True),
    sa.Column("created_at", TZDateTime, nullable=False),
    sa.Column("delivered_at", TZDateTime, nullable=True),
    sa.Column("last_status_code", sa.Integer, nullable=True),
    sa.Column("last_error", sa.String(500), nullable=True),
    sa.Index("ix_sb_deliveries_due", "status", "next_attempt_at"),
    sa.Index("ix_sb_deliveries_webhook", "webhook_id", "created_at"),
)

attempts = sa.Table(
    "sb_attempts",
    metadata,
    sa.Column("delivery_id", sa.String(40), primary_key=True),
    sa.Column("attempt", sa.Integer, primary_key=True),
    sa.Column("webhook_id", sa.String(40), nullable=False, index=True),
    sa.Column("started_at", TZDateTime, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("latency_ms", sa.Integer, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),  # delivered | failed | refused | error
    sa.Column("error", sa.String(500), nullable=True),
)
