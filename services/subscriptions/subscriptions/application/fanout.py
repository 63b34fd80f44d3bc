"""The fan-out: each public event, read once from its topic (group `processor.fanout`), is queued
for every active webhook that chose its type, in the consumer's transaction (effectively once:
the offset, the event id and the queued deliveries commit together)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import Message
from eventkit.processing import Subscription
from subscriptions.adapters import deliveries, webhooks
from subscriptions.adapters.readers import IGNORED_PREFIXES, public_registry, webhook_body
from subscriptions.adapters.topics import READS

GROUP = "processor.fanout"


async def fan_out(session: AsyncSession, msg: Message) -> None:
    env = msg.envelope
    now = datetime.now(UTC)
    for hook in await webhooks.active_for(session, env.type):
        await deliveries.queue(
            session, webhook_id=hook["webhook_id"], event_id=env.id, event_type=env.type, body=webhook_body(env), now=now
        )


def fanout_processor() -> Subscription:
    return Subscription(group=GROUP, topics=READS, handler=fan_out, registry=public_registry, ignore=IGNORED_PREFIXES)
