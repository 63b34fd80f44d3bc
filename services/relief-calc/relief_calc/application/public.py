"""The translator: relief-calc's liability events → its integration events.

A processor of relief.events (group `processor.public`): each LiabilityAssessed, Reassessed or
Withdrawn becomes a `public.CollectionAssessed` (public.collection-details) and a
`public.ReliefDecision` (public.relief-decisions), appended to the service's store in the
consumer's transaction (effectively once; a repeat translation keeps its derived id and is
skipped, see eventkit.public). Deferral and other events are passed over.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import Message
from eventkit.processing import Subscription
from eventkit.public import publish
from eventkit.store import EventStore
from relief_calc.adapters.topics import RELIEF_TOPIC
from relief_calc.domain.events import registry
from relief_calc.domain.liability_events import LiabilityAssessed, LiabilityReassessed, LiabilityWithdrawn
from relief_calc.domain.public_events import (
    PUBLIC_COLLECTION_TOPIC,
    PUBLIC_DECISION_TOPIC,
    collection_of,
    collection_stream,
    decision_of,
    decision_stream,
)

GROUP = "processor.public"


def public_translator(store: EventStore) -> Subscription:
    async def handle(session: AsyncSession, msg: Message) -> None:
        e = msg.event
        if not isinstance(e, LiabilityAssessed | LiabilityReassessed | LiabilityWithdrawn):
            return
        collection, decision = collection_of(e), decision_of(e)
        code, period = collection.credit_code, collection.fee_period
        await publish(
            store, session, collection, topic=PUBLIC_COLLECTION_TOPIC, stream_id=collection_stream(code, period),
            subject=code, derived_from=msg.event_id,
        )  # fmt: skip
        await publish(
            store, session, decision, topic=PUBLIC_DECISION_TOPIC, stream_id=decision_stream(code, period),
            subject=code, derived_from=msg.event_id,
        )  # fmt: skip

    return Subscription(group=GROUP, topics=(RELIEF_TOPIC,), handler=handle, registry=registry)
