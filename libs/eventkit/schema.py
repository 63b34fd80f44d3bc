"""The kernel's tables, added to each service's MetaData (each service owns its database).

- es_events: the event store (append-only). Global position, stream id + version (unique), the
  CloudEvent attributes and data, the time it was recorded.
- es_outbox: events committed but not yet acknowledged by Kafka (the relay deletes them once
  acknowledged). Rows are written in the same transaction as es_events.
- es_consumer_offsets: per consumer group, topic and partition, the next offset to process;
  written in the same transaction as the projection changes of the records before it.
- es_processed_events: event ids each consumer group has applied (duplicates on the wire are
  dropped by id).
- es_idempotency_keys: stored responses of POST requests carrying an Idempotency-Key.
- es_rebuilds: per projection, the last rebuild (`<service> rebuild` / `restore`): its fingerprint,
  the events replayed and when; reported by `GET /v1/ops/pipeline` (eventkit.web.ops). Not a
  projection: a record of an operation, kept across rebuilds.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from eventkit.db import BigIntPK

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TZDateTime = sa.DateTime(timezone=True)


@dataclass(frozen=True)
class KernelTables:
    events: sa.Table
    outbox: sa.Table
    consumer_offsets: sa.Table
    processed_events: sa.Table
    idempotency_keys: sa.Table
    rebuilds: sa.Table

    @property
    def all(self) -> tuple[sa.Table, ...]:
        return (self.events, self.outbox, self.consumer_offsets, self.processed_events, self.idempotency_keys, self.rebuilds)


def kernel_tables(metadata: sa.MetaData) -> KernelTables:
    """Define (once per MetaData) and return the kernel's tables."""
    existing = metadata.info.get("eventkit_tables")
    if existing is not None:
        return existing  # type: ignore[no-any-return]
    events = sa.Table(
        "es_events",
        metadata,
        sa.Column("position", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("stream_id", sa.String(200), nullable=False),
        sa.Column("stream_version", sa.Integer, nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("data", JSONType, nullable=False),
        sa.Column("metadata", JSONType, nullable=False),
        sa.Column("occurred_at", TZDateTime, nullable=False),
        sa.Column("recorded_at", TZDateTime, nullable=False),
        sa.UniqueConstraint("stream_id", "stream_version", name="uq_es_events_stream_version"),
    )
    sa.Index("ix_es_events_subject", events.c.subject)
    outbox = sa.Table(
        "es_outbox",
        metadata,
        sa.Column("position", BigIntPK, primary_key=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("headers", JSONType, nullable=False),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("enqueued_at", TZDateTime, nullable=False),
    )
    offsets = sa.Table(
        "es_consumer_offsets",
        metadata,
        sa.Column("consumer_group", sa.String(200), primary_key=True),
        sa.Column("topic", sa.String(200), primary_key=True),
        sa.Column("partition", sa.Integer, primary_key=True),
        sa.Column("next_offset", sa.BigInteger, nullable=False),
        sa.Column("updated_at", TZDateTime, nullable=False),
    )
    processed = sa.Table(
        "es_processed_events",
        metadata,
        sa.Column("consumer_group", sa.String(200), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
    )
    idem = sa.Table(
        "es_idempotency_keys",
        metadata,
        sa.Column("principal", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),  # in_flight | done
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("response_body", sa.LargeBinary, nullable=True),
        sa.Column("response_headers", JSONType, nullable=True),
        sa.Column("created_at", TZDateTime, nullable=False),
        sa.Column("completed_at", TZDateTime, nullable=True),
    )
    rebuilds = sa.Table(
        "es_rebuilds",
        metadata,
        sa.Column("projection", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("events", sa.BigInteger, nullable=False),
        sa.Column("milliseconds", sa.BigInteger, nullable=False),
        sa.Column("rebuilt_at", TZDateTime, nullable=False),
    )
    tables = KernelTables(events, outbox, offsets, processed, idem, rebuilds)
    metadata.info["eventkit_tables"] = tables
    return tables
