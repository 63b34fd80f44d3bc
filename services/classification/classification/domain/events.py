"""The events the classification service writes and reads, with their schema versions.

Every event class is registered here; the consumer dead-letters any type not registered.
"""

from __future__ import annotations

from eventkit.events import EventRegistry

registry = EventRegistry()
