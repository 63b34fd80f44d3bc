"""Every event type the classification service writes (its consumers dead-letter any other type
on its own topic): the size events, the import record and the dispute steps."""

from __future__ import annotations

from classification.domain.dispute_events import DISPUTE_EVENTS
from classification.domain.events import SIZE_EVENTS
from classification.domain.public_events import PUBLIC_EVENTS
from eventkit.events import EventRegistry

# the integration events it publishes (public.size-corrections) are its events too
registry = EventRegistry(*SIZE_EVENTS, *DISPUTE_EVENTS, *PUBLIC_EVENTS)
