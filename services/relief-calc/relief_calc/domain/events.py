"""The events the relief-calc service writes, with their schema versions.

Every event class is registered here. Events of other services that relief-calc reads are
decoded by its own tolerant reader models (relief_calc.adapters.readers), never by this registry.
"""

from __future__ import annotations

from eventkit.events import EventRegistry
from relief_calc.domain.deferral_events import DEFERRAL_EVENTS
from relief_calc.domain.liability_events import LIABILITY_EVENTS
from relief_calc.domain.policy_events import PolicyPublished
from relief_calc.domain.project_liability_events import PROJECT_LIABILITY_EVENTS
from relief_calc.domain.public_events import PUBLIC_EVENTS

# with the integration events it publishes (public.collection-details, public.relief-decisions)
registry = EventRegistry(*LIABILITY_EVENTS, *PROJECT_LIABILITY_EVENTS, PolicyPublished, *DEFERRAL_EVENTS, *PUBLIC_EVENTS)
