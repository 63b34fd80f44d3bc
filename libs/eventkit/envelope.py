"""CloudEvents 1.0 envelope in the Kafka protocol binding, binary content mode.

Attributes travel as `ce_<name>` headers (UTF-8), the data is the JSON message value, and the
Kafka key is the subject (the payer's unified social credit code), which keeps every payer-scoped
topic co-partitioned. Extension attributes: `correlationid`, `causationid`, `traceparent`
(distributed tracing extension; also copied to the plain `traceparent` header for tracers that
read W3C headers), and `streamid`/`streamversion` so readers can check per-stream order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from eventkit.errors import MalformedEvent

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
_REQUIRED = ("id", "source", "type", "specversion")
_OPTIONAL = ("subject", "time", "dataschema", "correlationid", "causationid", "traceparent", "streamid", "streamversion")


@dataclass(frozen=True)
class Envelope:
    id: str
    source: str
    type: str
    subject: str
    time: datetime
    data: dict[str, Any]
    dataschema: str | None = None
    correlationid: str | None = None
    causationid: str | None = None
    traceparent: str | None = None
    streamid: str | None = None
    streamversion: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    # ---- Kafka binary binding -------------------------------------------------------------
    def kafka_headers(self) -> list[tuple[str, bytes]]:
        attrs: dict[str, str | None] = {
            "specversion": SPEC_VERSION,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": format_time(self.time),
            "dataschema": self.dataschema,
            "correlationid": self.correlationid,
            "causationid": self.causationid,
            "traceparent": self.traceparent,
            "streamid": self.streamid,
            "streamversion": None if self.streamversion is None else str(self.streamversion),
        }
        headers = [(f"ce_{k}", v.encode()) for k, v in attrs.items() if v is not None]
        headers.append(("content-type", CONTENT_TYPE.encode()))
        if self.traceparent:
            headers.append(("traceparent", self.traceparent.encode()))
        headers.extend((k, v.encode()) for k, v in self.extra.items())
        return headers

    def kafka_value(self) -> bytes:
        return encode_data(self.data)

    @property
    def key(self) -> bytes:
        return self.subject.encode()

    @classmethod
    def from_kafka(cls, headers: Sequence[tuple[str, bytes]] | None, value: bytes | None) -> Envelope:
        """Parse a consumed record; MalformedEvent names what is missing or wrong."""
        attrs: dict[str, str] = {}
        extra: dict[str, str] = {}
        for name, raw in headers or ():
            try:
                text = raw.decode() if raw is not None else ""
            except UnicodeDecodeError as exc:
                raise MalformedEvent(f"header {name!r} is not UTF-8") from exc
            if name.startswith("ce_"):
                attrs[name[3:]] = text
            elif name not in ("content-type", "traceparent"):
                extra[name] = text
        missing = [a for a in _REQUIRED if not attrs.get(a)]
        if missing:
            raise MalformedEvent(f"missing CloudEvents attribute(s): {', '.join(missing)}")
        if attrs["specversion"] != SPEC_VERSION:
            raise MalformedEvent(f"unsupported CloudEvents specversion {attrs['specversion']!r}")
        if value is None:
            raise MalformedEvent("record has no data")
        try:
            data = json.loads(value)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedEvent(f"data is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise MalformedEvent("data must be a JSON object")
        try:
            time = parse_time(attrs["time"]) if attrs.get("time") else datetime.now(UTC)
            version = int(attrs["streamversion"]) if attrs.get("streamversion") else None
        except ValueError as exc:
            raise MalformedEvent(f"bad attribute: {exc}") from exc
        return cls(
            id=attrs["id"],
            source=attrs["source"],
            type=attrs["type"],
            subject=attrs.get("subject", ""),
            time=time,
            data=data,
            dataschema=attrs.get("dataschema"),
            correlationid=attrs.get("correlationid"),
            causationid=attrs.get("causationid"),
            traceparent=attrs.get("traceparent"),
            streamid=attrs.get("streamid"),
            streamversion=version,
            extra=extra,
        )

    def attributes(self) -> dict[str, Any]:
        """The attributes as a JSON-able dict (stored beside the data in the event store)."""
        return {k: getattr(self, k) for k in _OPTIONAL if getattr(self, k) is not None and k != "time"}


def encode_data(data: Mapping[str, Any]) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8 (Chinese text kept readable)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def format_time(t: datetime) -> str:
    if t.tzinfo is None:
        raise ValueError("event times must be timezone-aware")
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(s: str) -> datetime:
    t = datetime.fromisoformat(s.replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError(f"time {s!r} has no timezone")
    return t
