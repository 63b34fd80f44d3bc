"""The translator: the payer ledger's entries → ``public.CollectionPaid`` (public.collection-details).

A processor of refund.events (group `processor.public`). For each event of a `ledger-<credit code>`
stream at version v, it folds the stream up to v−1 and up to v (the store may already hold later
entries: the topic is read behind the store) and publishes a snapshot for every fee period whose
figures the entry changed, in the consumer's transaction (effectively once; a repeat translation
keeps its derived id and is skipped, see eventkit.public). Parked payments and reconciliation
streams are passed over.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import Message
from eventkit.processing import Subscription
from eventkit.public import publish
from eventkit.store import EventStore
from refund.adapters.topics import REFUND_TOPIC
from refund.domain.events import ledger_stream, registry
from refund.domain.ledger import fold
from refund.domain.public_events import PUBLIC_COLLECTION_TOPIC, changed_snapshots, collection_paid_stream

GROUP = "processor.public"
_LEDGER = ledger_stream("")


def public_translator(store: EventStore) -> Subscription:
    async def handle(session: AsyncSession, msg: Message) -> None:
        stream, version = msg.envelope.streamid or "", msg.envelope.streamversion or 0
        if not stream.startswith(_LEDGER) or version < 1:
            return
        events = [m.event for m in await store.load(session, stream)][:version]
        for snap in changed_snapshots(fold(events[:-1]), fold(events)):
            await publish(
                store, session, snap, topic=PUBLIC_COLLECTION_TOPIC,
                stream_id=collection_paid_stream(snap.credit_code, snap.fee_period), subject=snap.credit_code,
                derived_from=msg.event_id,
            )  # fmt: skip

    return Subscription(group=GROUP, topics=(REFUND_TOPIC,), handler=handle, registry=registry)
