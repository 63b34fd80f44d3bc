"""Public integration events: what a service shares with other agencies (人社, 医保, …).

A service's internal events are its own and change with it; integration events are a stable,
documented contract on public topics (`public.<what>`), named `public.<Name>` with their own
versions (CloudEvents type `relief.public.<Name>.v<n>`), carrying no personal data beyond the
payer's credit code. The owning service publishes them: a *translator* (an ordinary processor of
the service) maps each internal event it reads to integration events and `publish`es them. They
are appended to the service's own event store with the public topic as their outbox topic, so the
relay publishes them with every guarantee of the service's own events (nothing committed stays
unpublished, nothing is reordered within a payer, the payer's credit code is the key).

Ids are derived, not random: the id of an integration event is a UUIDv5 of its type, its stream
and the internal event it was translated from. Translating the same internal event again (a
translator replaying after its offsets were lost) therefore yields the same id, which `publish`
finds already stored and skips, and which any reader can de-duplicate on.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.envelope import Envelope
from eventkit.events import Event, new_envelope
from eventkit.metrics import EVENTS_APPENDED
from eventkit.store import EventStore

PUBLIC_PREFIX = "public."
_NAMESPACE = uuid.UUID("6f1c2a64-6d0e-5b8e-9a57-7075626c6963")


def integration_event_id(event: Event, stream_id: str, derived_from: str) -> str:
    """The stable id of `event` on `stream_id` translated from internal event `derived_from`."""
    return str(uuid.uuid5(_NAMESPACE, f"{event.cloudevent_type()}|{stream_id}|{derived_from}"))


async def publish(
    store: EventStore,
    session: AsyncSession,
    event: Event,
    *,
    topic: str,
    stream_id: str,
    subject: str,
    derived_from: str,
) -> Envelope | None:
    """Append integration event `event` to `stream_id` (at its current version) for `topic`, in the
    caller's transaction; None if this translation was stored before (same derived id)."""
    if not event.name.startswith(PUBLIC_PREFIX) or not topic.startswith(PUBLIC_PREFIX):
        raise ValueError(f"integration events are named and published under {PUBLIC_PREFIX!r}: {event.name} → {topic}")
    event_id = integration_event_id(event, stream_id, derived_from)
    t = store.tables.events
    if await session.scalar(sa.select(t.c.position).where(t.c.event_id == event_id)) is not None:
        return None
    version = await store.version(session, stream_id)
    envelope = new_envelope(
        event, source=store.source, subject=subject, stream_id=stream_id, stream_version=version + 1, event_id=event_id
    )
    await store.append_envelopes(session, [envelope], topic=topic)
    EVENTS_APPENDED.labels(store.service, event.name).inc()
    return envelope
