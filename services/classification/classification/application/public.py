"""The translator: classification's internal size events → its integration events.

A processor of the service's own topic (group `processor.public`): each `EnterpriseSizeCorrected`
becomes a `public.SizeCorrected` appended to the service's store for `public.size-corrections`,
in the consumer's transaction (effectively once; a repeat translation keeps its derived id and is
skipped, see eventkit.public). Every other event is read and passed over.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from classification.adapters.topics import CLASSIFICATION_TOPIC
from classification.domain.events import EnterpriseSizeCorrected
from classification.domain.public_events import PUBLIC_SIZE_TOPIC, public_stream, size_corrected
from classification.domain.registry import registry
from eventkit.events import Message
from eventkit.processing import Subscription
from eventkit.public import publish
from eventkit.store import EventStore

GROUP = "processor.public"


def public_translator(store: EventStore) -> Subscription:
    async def handle(session: AsyncSession, msg: Message) -> None:
        e = msg.event
        if isinstance(e, EnterpriseSizeCorrected):
            await publish(
                store, session, size_corrected(e), topic=PUBLIC_SIZE_TOPIC, stream_id=public_stream(e.credit_code),
                subject=e.credit_code, derived_from=msg.event_id,
            )  # fmt: skip

    return Subscription(group=GROUP, topics=(CLASSIFICATION_TOPIC,), handler=handle, registry=registry)
