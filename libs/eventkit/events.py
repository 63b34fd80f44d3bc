"""Typed event classes, the registry that maps CloudEvents types to them, and upcasters.

Every event type is a pydantic model with a name and a schema version. The CloudEvents `type`
carries both: `relief.<name>.v<version>`. A reader decodes a record through its registry:
- the current version of a known name → that class;
- an older version → the registered upcasters, one version step at a time, then that class;
- an unknown name, a version newer than the reader knows, or a missing upcaster → UnknownEventType
  (never a silent skip: the consumer dead-letters it and counts it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from eventkit import context
from eventkit.envelope import Envelope
from eventkit.errors import MalformedEvent, UnknownEventType

TYPE_PREFIX = "relief."
_TYPE_RE = re.compile(r"^relief\.(?P<name>[A-Za-z0-9_.]+)\.v(?P<version>[0-9]+)$")

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
E = TypeVar("E", bound="Event")


class Event(BaseModel):
    """Base of every event's data. Subclasses set `name` (e.g. `declaration.DeclarationSubmitted`)
    and `version` (the current schema version, starting at 1)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ClassVar[str]
    version: ClassVar[int] = 1

    @classmethod
    def cloudevent_type(cls) -> str:
        return f"{TYPE_PREFIX}{cls.name}.v{cls.version}"

    @classmethod
    def dataschema(cls) -> str:
        return f"urn:relief:schema:{cls.name}:v{cls.version}"

    def to_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


@dataclass(frozen=True)
class Message:
    """A decoded event with its envelope and, when consumed, where it was read from."""

    envelope: Envelope
    event: Event
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None

    @property
    def event_id(self) -> str:
        return self.envelope.id

    @property
    def subject(self) -> str:
        return self.envelope.subject


def parse_type(ce_type: str) -> tuple[str, int]:
    m = _TYPE_RE.match(ce_type)
    if not m:
        raise UnknownEventType(f"event type {ce_type!r} is not of the form relief.<name>.v<version>")
    return m["name"], int(m["version"])


class EventRegistry:
    def __init__(self, *classes: type[Event]) -> None:
        self._classes: dict[str, type[Event]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}
        for cls in classes:
            self.register(cls)

    def register(self, cls: type[E]) -> type[E]:
        """Register an event class (usable as a class decorator)."""
        existing = self._classes.get(cls.name)
        if existing is not None and existing is not cls:
            raise ValueError(f"event name {cls.name!r} registered twice ({existing.__qualname__}, {cls.__qualname__})")
        self._classes[cls.name] = cls
        return cls

    def upcaster(self, name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Register the step from `from_version` to `from_version + 1` of event `name`."""

        def decorate(fn: Upcaster) -> Upcaster:
            self._upcasters[(name, from_version)] = fn
            return fn

        return decorate

    def classes(self) -> list[type[Event]]:
        return list(self._classes.values())

    def __contains__(self, name: str) -> bool:
        return name in self._classes

    def decode_data(self, name: str, version: int, data: dict[str, Any]) -> Event:
        cls = self._classes.get(name)
        if cls is None:
            raise UnknownEventType(f"unknown event type {name!r} (v{version})")
        if version > cls.version:
            raise UnknownEventType(f"{name} v{version} is newer than this reader's v{cls.version}")
        while version < cls.version:
            step = self._upcasters.get((name, version))
            if step is None:
                raise UnknownEventType(f"no upcaster for {name} v{version} → v{version + 1}")
            data = step(dict(data))
            version += 1
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise MalformedEvent(f"{name} v{cls.version}: {_first_errors(exc)}") from exc

    def decode(
        self, envelope: Envelope, *, topic: str | None = None, partition: int | None = None, offset: int | None = None
    ) -> Message:
        name, version = parse_type(envelope.type)
        return Message(envelope, self.decode_data(name, version, envelope.data), topic, partition, offset)


def _first_errors(exc: ValidationError, limit: int = 3) -> str:
    parts = []
    for err in exc.errors()[:limit]:
        loc = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def new_envelope(
    event: Event,
    *,
    source: str,
    subject: str,
    stream_id: str | None = None,
    stream_version: int | None = None,
    event_id: str | None = None,
    time: datetime | None = None,
) -> Envelope:
    """Wrap an event for the log, taking correlation, causation and trace from the current context."""
    ctx = context.current()
    eid = event_id or context.new_id()
    return Envelope(
        id=eid,
        source=source,
        type=event.cloudevent_type(),
        subject=subject,
        time=time or datetime.now(UTC),
        data=event.to_data(),
        dataschema=event.dataschema(),
        correlationid=ctx.correlation_id or eid,
        causationid=ctx.causation_id or ctx.request_id,
        traceparent=context.child_traceparent(ctx.traceparent),
        streamid=stream_id,
        streamversion=stream_version,
    )
