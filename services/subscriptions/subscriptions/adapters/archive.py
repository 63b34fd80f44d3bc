"""Projection `archive` (public.* → sb_public_events): every public event in the catalog, as the
exact body a webhook receives, so that a replay from a point in time can queue them again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import Message
from eventkit.projection import Projection
from subscriptions.adapters.readers import IGNORED_PREFIXES, public_registry, webhook_body
from subscriptions.adapters.tables import public_events
from subscriptions.adapters.topics import READS


async def apply(session: AsyncSession, msg: Message) -> None:
    env, t = msg.envelope, public_events
    if await session.scalar(sa.select(t.c.event_id).where(t.c.event_id == env.id)) is None:
        await session.execute(
            sa.insert(t).values(
                event_id=env.id, event_type=env.type, subject=env.subject, time=env.time, topic=msg.topic or "",
                body=webhook_body(env),
            )
        )  # fmt: skip


def projection() -> Projection:
    return Projection(
        name="archive", topics=READS, tables=(public_events,), handler=apply, registry=public_registry, ignore=IGNORED_PREFIXES
    )


async def since(session: AsyncSession, when: datetime, event_types: list[str]) -> list[dict[str, Any]]:
    t = public_events
    q = sa.select(t).where(t.c.time >= when, t.c.event_type.in_(event_types)).order_by(t.c.time, t.c.event_id)
    return [dict(r._mapping) for r in (await session.execute(q)).all()]
