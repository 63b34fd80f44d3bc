"""The stream index: a projection every service has of its own topic.

Per stream: the payer it belongs to, its latest version, how many events it holds and the last
event's type, id and time. Operators use it to see what a service holds; the disaster drill
compares it with the event store restored from Kafka; `rebuild` proves it reproducible.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import EventRegistry, Message
from eventkit.projection import Projection
from eventkit.schema import TZDateTime


def stream_index_table(metadata: sa.MetaData) -> sa.Table:
    existing = metadata.tables.get("pj_stream_index")
    if existing is not None:
        return existing
    return sa.Table(
        "pj_stream_index",
        metadata,
        sa.Column("stream_id", sa.String(200), primary_key=True),
        sa.Column("subject", sa.String(64), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("last_type", sa.String(200), nullable=False),
        sa.Column("last_event_id", sa.String(36), nullable=False),
        sa.Column("last_time", TZDateTime, nullable=False),
    )


def stream_index(metadata: sa.MetaData, topic: str, registry: EventRegistry) -> Projection:
    table = stream_index_table(metadata)

    async def apply(session: AsyncSession, msg: Message) -> None:
        env = msg.envelope
        stream_id = env.streamid or env.subject
        values = {
            "subject": env.subject,
            "version": env.streamversion or 0,
            "last_type": env.type,
            "last_event_id": env.id,
            "last_time": env.time,
        }
        current = await session.scalar(sa.select(table.c.events).where(table.c.stream_id == stream_id))
        if current is None:
            await session.execute(sa.insert(table).values(stream_id=stream_id, events=1, **values))
        else:
            await session.execute(sa.update(table).where(table.c.stream_id == stream_id).values(events=current + 1, **values))

    return Projection(name="stream-index", topics=(topic,), tables=(table,), handler=apply, registry=registry)
