"""Tolerant readers of the public integration events: the service forwards them as they are, so
a reader needs no fields (the envelope's data is delivered unchanged). Public types not in the
catalog are skipped (``ignore``), a catalogued name at a newer version is dead-lettered."""

from __future__ import annotations

from pydantic import ConfigDict

from eventkit.envelope import Envelope, encode_data, format_time
from eventkit.events import Event, EventRegistry, parse_type
from subscriptions.domain.events import CATALOG

IGNORED_PREFIXES = ("public.",)


class _Public(Event):
    model_config = ConfigDict(frozen=True, extra="allow")


def _reader(ce_type: str) -> type[Event]:
    name, version = parse_type(ce_type)
    return type(name.split(".")[-1], (_Public,), {"name": name, "version": version, "__module__": __name__})


public_registry = EventRegistry(*(_reader(t) for t in sorted(CATALOG)))


def webhook_body(env: Envelope) -> str:
    """The delivered JSON: the CloudEvent in structured mode (sorted keys, UTF-8)."""
    doc = {
        "specversion": "1.0",
        "id": env.id,
        "source": env.source,
        "type": env.type,
        "subject": env.subject,
        "time": format_time(env.time),
        "datacontenttype": "application/json",
        "dataschema": env.dataschema,
        "data": env.data,
    }
    return encode_data({k: v for k, v in doc.items() if v is not None}).decode()
