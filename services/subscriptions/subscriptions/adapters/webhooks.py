"""Projection `webhooks` (subscriptions.events → sb_webhooks) and its queries.

Registration writes the row through in the command's transaction as well (the agency reads its
webhook at once, and the fan-out delivers to it from the next event on); the projection applies
the same function, which converges on what is already there, and a rebuild derives the same rows.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import Message
from eventkit.projection import Projection
from subscriptions.adapters.tables import webhooks
from subscriptions.adapters.topics import SUBSCRIPTIONS_TOPIC
from subscriptions.domain.events import WebhookRegistered, WebhookRevoked, registry


async def apply(session: AsyncSession, msg: Message) -> None:
    e, t = msg.event, webhooks
    if isinstance(e, WebhookRegistered):
        exists = await session.scalar(sa.select(t.c.webhook_id).where(t.c.webhook_id == e.webhook_id))
        if exists is None:
            await session.execute(
                sa.insert(t).values(
                    webhook_id=e.webhook_id, agency=e.agency, url=e.url, event_types=list(e.event_types),
                    secret=e.secret.ciphertext, description=e.description, status="active",
                    registered_by=e.registered_by, registered_at=msg.envelope.time, revoked_at=None,
                )
            )  # fmt: skip
    elif isinstance(e, WebhookRevoked):
        await session.execute(
            sa.update(t).where(t.c.webhook_id == e.webhook_id).values(status="revoked", revoked_at=msg.envelope.time)
        )


def projection() -> Projection:
    return Projection(name="webhooks", topics=(SUBSCRIPTIONS_TOPIC,), tables=(webhooks,), handler=apply, registry=registry)


async def get(session: AsyncSession, webhook_id: str) -> dict[str, Any] | None:
    row = (await session.execute(sa.select(webhooks).where(webhooks.c.webhook_id == webhook_id))).first()
    return dict(row._mapping) if row else None


async def listing(session: AsyncSession, agency: str | None) -> list[dict[str, Any]]:
    q = sa.select(webhooks).order_by(webhooks.c.registered_at, webhooks.c.webhook_id)
    if agency is not None:
        q = q.where(webhooks.c.agency == agency)
    return [dict(r._mapping) for r in (await session.execute(q)).all()]


async def active_for(session: AsyncSession, event_type: str) -> list[dict[str, Any]]:
    rows = (await session.execute(sa.select(webhooks).where(webhooks.c.status == "active"))).all()
    return [dict(r._mapping) for r in rows if event_type in r.event_types]
