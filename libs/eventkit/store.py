"""The event store: append-only streams with optimistic concurrency, and the outbox beside them.

Guarantees (libs/README.md numbers them and names the proving tests):
- `append` with `expected_version` either writes all events at versions expected+1.. or raises
  ConcurrencyError; the unique (stream_id, stream_version) constraint is the final arbiter, so
  two writers that both read the same version can never both succeed and a stream has no gaps.
- The same call writes each event's outbox row in the caller's transaction: the events, the
  decision that raised them and their publication commit or roll back together.
- Every event gets a global position (insert order) and the time it was recorded.
- With contract checking on (`EVENTKIT_VALIDATE_CONTRACTS`, eventkit.contracts), an event that
  does not conform to its committed schema is refused before anything is written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.contracts import check_appended, contracts_from_env
from eventkit.envelope import Envelope, encode_data
from eventkit.errors import ConcurrencyError
from eventkit.events import Event, EventRegistry, Message, new_envelope, parse_type
from eventkit.metrics import EVENTS_APPENDED
from eventkit.schema import KernelTables

NO_STREAM = 0  # expected version of a stream that has no events yet


class EventStore:
    def __init__(self, *, service: str, source: str, topic: str, tables: KernelTables, registry: EventRegistry) -> None:
        self.service = service
        self.source = source
        self.topic = topic
        self.tables = tables
        self.registry = registry
        # Set after a transaction that appended events commits; the relay waits on it.
        self.committed = asyncio.Event()

    async def version(self, session: AsyncSession, stream_id: str) -> int:
        t = self.tables.events
        current = await session.scalar(sa.select(sa.func.max(t.c.stream_version)).where(t.c.stream_id == stream_id))
        return int(current or 0)

    async def append(
        self,
        session: AsyncSession,
        stream_id: str,
        expected_version: int | None,
        events: Sequence[Event],
        *,
        subject: str,
        topic: str | None = None,
    ) -> list[Envelope]:
        """Append `events` to `stream_id` if it is at `expected_version` (None: at whatever version
        it is; the unique constraint still rejects a concurrent writer)."""
        if not events:
            return []
        t = self.tables.events
        head = (
            await session.execute(
                sa.select(t.c.stream_version, t.c.subject)
                .where(t.c.stream_id == stream_id)
                .order_by(t.c.stream_version.desc())
                .limit(1)
            )
        ).first()
        current = int(head.stream_version) if head else 0
        if expected_version is not None and current != expected_version:
            raise ConcurrencyError(stream_id, expected_version, current)
        if head is not None and head.subject != subject:
            # The subject is the Kafka key: a stream split over two keys could land on two
            # partitions, and its events could then be read out of order.
            raise ValueError(f"stream {stream_id!r} belongs to subject {head.subject!r}, not {subject!r}")
        envelopes = [
            new_envelope(e, source=self.source, subject=subject, stream_id=stream_id, stream_version=current + i + 1)
            for i, e in enumerate(events)
        ]
        await self.append_envelopes(session, envelopes, topic=topic or self.topic)
        for e in events:
            EVENTS_APPENDED.labels(self.service, e.name).inc()
        return envelopes

    async def append_batch(
        self, session: AsyncSession, items: Sequence[tuple[str, int, Sequence[Event], str]], *, topic: str | None = None
    ) -> list[Envelope]:
        """Append to many streams at once: ``(stream_id, expected_version, events, subject)`` each,
        in one insert. The caller knows each stream's version (it read the heads in this
        transaction); a concurrent writer makes the insert fail on the unique (stream, version)
        and the whole batch raises ConcurrencyError, to be retried stream by stream."""
        envelopes = [
            new_envelope(e, source=self.source, subject=subject, stream_id=stream_id, stream_version=expected + i + 1)
            for stream_id, expected, events, subject in items
            for i, e in enumerate(events)
        ]
        if envelopes:
            await self.append_envelopes(session, envelopes, topic=topic or self.topic)
            for _stream, _expected, events, _subject in items:
                for e in events:
                    EVENTS_APPENDED.labels(self.service, e.name).inc()
        return envelopes

    async def append_envelopes(
        self, session: AsyncSession, envelopes: Sequence[Envelope], *, topic: str, outbox: bool = True
    ) -> None:
        """Write already-built envelopes (stream id and version set) and, unless `outbox` is False
        (restoring a store from the log), their outbox rows."""
        contracts_dir = contracts_from_env()
        if contracts_dir is not None:
            check_appended(envelopes, topic=topic, contracts_dir=contracts_dir)
        now = datetime.now(UTC)
        rows = [_event_row(env, topic, now) for env in envelopes]
        t = self.tables.events
        try:
            result = await session.execute(sa.insert(t).returning(t.c.position, sort_by_parameter_order=True), rows)
        except IntegrityError as exc:
            first = envelopes[0]
            raise ConcurrencyError(first.streamid or "?", (first.streamversion or 1) - 1, None) from exc
        positions = [r[0] for r in result.all()]
        if outbox:
            await session.execute(
                sa.insert(self.tables.outbox),
                [
                    {
                        "position": pos,
                        "topic": topic,
                        "key": env.subject,
                        "headers": [[k, v.decode()] for k, v in env.kafka_headers()],
                        "value": env.kafka_value(),
                        "enqueued_at": now,
                    }
                    for pos, env in zip(positions, envelopes, strict=True)
                ],
            )
            self._notify_on_commit(session)

    def _notify_on_commit(self, session: AsyncSession) -> None:
        sync = session.sync_session
        if not sa_event.contains(sync, "after_commit", self._after_commit):
            sa_event.listen(sync, "after_commit", self._after_commit, once=True)

    def _after_commit(self, _session: Any) -> None:
        self.committed.set()

    async def load(self, session: AsyncSession, stream_id: str) -> list[Message]:
        """All events of a stream in version order, upcast to their current classes."""
        t = self.tables.events
        rows = (await session.execute(sa.select(t).where(t.c.stream_id == stream_id).order_by(t.c.stream_version))).all()
        return [self.registry.decode(row_to_envelope(r._mapping)) for r in rows]

    async def load_many(self, session: AsyncSession, stream_ids: Sequence[str], *, chunk: int = 1000) -> dict[str, list[Message]]:
        """The events of many streams at once (a bulk command deciding for thousands of payers):
        stream id → its events in version order; a stream without events maps to []."""
        t = self.tables.events
        out: dict[str, list[Message]] = {sid: [] for sid in stream_ids}
        ids = list(out)
        for start in range(0, len(ids), chunk):
            part = ids[start : start + chunk]
            query = sa.select(t).where(t.c.stream_id.in_(part)).order_by(t.c.stream_id, t.c.stream_version)
            for r in (await session.execute(query)).all():
                out[r.stream_id].append(self.registry.decode(row_to_envelope(r._mapping)))
        return out


def _event_row(env: Envelope, topic: str, now: datetime) -> dict[str, Any]:
    name, version = parse_type(env.type)
    return {
        "event_id": env.id,
        "stream_id": env.streamid or env.subject,
        "stream_version": env.streamversion or 1,
        "event_type": name,
        "schema_version": version,
        "subject": env.subject,
        "topic": topic,
        "data": env.data,
        "metadata": {**env.attributes(), "source": env.source, "type": env.type},
        "occurred_at": env.time,
        "recorded_at": now,
    }


def row_to_envelope(row: Any) -> Envelope:
    meta = dict(row["metadata"])
    occurred = row["occurred_at"]
    if occurred.tzinfo is None:  # SQLite returns naive datetimes; we only ever store UTC
        occurred = occurred.replace(tzinfo=UTC)
    return Envelope(
        id=row["event_id"],
        source=meta.pop("source"),
        type=meta.pop("type"),
        subject=row["subject"],
        time=occurred,
        data=dict(row["data"]),
        dataschema=meta.get("dataschema"),
        correlationid=meta.get("correlationid"),
        causationid=meta.get("causationid"),
        traceparent=meta.get("traceparent"),
        streamid=row["stream_id"],
        streamversion=row["stream_version"],
    )


def canonical_bytes(env: Envelope) -> bytes:
    return encode_data(env.data)
