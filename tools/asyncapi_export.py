"""The AsyncAPI 3.0 document of the platform's topics (contracts/asyncapi.yaml), derived from code
and deploy/topics.yaml so that it cannot drift:

- a channel per topic of deploy/topics.yaml, dead-letter topics included; a topic flagged
  `public: true` gets `x-public: true` and the tag "public";
- a message per event type and version every service registers; its headers are the CloudEvents
  attributes of the Kafka binary binding (`ce_*`), its payload the event's data, referencing
  contracts/events/<name>.v<version>.json, its Kafka key the event's subject;
- a send operation per service and topic it publishes to, a receive operation per service and
  topic its projections and processors consume (their consumer groups in the Kafka binding).

Which topic an event is published on: the topic whose `events:` list in topics.yaml holds a prefix
of the event's name; without such a list, topic `X.events` carries the events named `X.*`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from eventkit.kafka import dlq_topic
from eventkit.runtime import ServiceDefinition

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING = "0.5.0"
DATA_FORMAT = "application/schema+json;version=2020-12"
CREDIT_CODE = "^[0-9A-HJ-NPQRTUWXY]{18}$"  # 统一社会信用代码, GB 32100-2015


@dataclass
class Topic:
    name: str
    partitions: int
    scope: str
    config: dict[str, str]
    public: bool = False
    description: str | None = None
    prefixes: tuple[str, ...] = ()
    dlq_of: str | None = None  # the topic whose dead letters this one holds
    messages: list[str] = field(default_factory=list)  # component message ids, in order


def load_topics(path: Path) -> dict[str, Topic]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["topics"]
    names = {t["name"] for t in raw}
    topics: dict[str, Topic] = {}
    for t in raw:
        name = str(t["name"])
        base = name[: -len(".dlq")] if name.endswith(".dlq") and name[: -len(".dlq")] in names else None
        default = (name[: -len("events")],) if name.endswith(".events") else ()
        topics[name] = Topic(
            name=name,
            partitions=int(t["partitions"]),
            scope=str(t.get("scope", "payer")),
            config={str(k): str(v) for k, v in (t.get("config") or {}).items()},
            public=bool(t.get("public", False)),
            description=t.get("description"),
            prefixes=() if base else tuple(t.get("events") or default),
            dlq_of=base,
        )
    return topics


def topic_of_event(name: str, topics: dict[str, Topic]) -> str:
    """The topic an event type is published on: the one with the longest matching prefix."""
    matches = [(len(p), t.name) for t in topics.values() for p in t.prefixes if name.startswith(p)]
    if not matches:
        raise LookupError(
            f"event {name!r} is published on no topic of deploy/topics.yaml: add its name prefix to the "
            "`events:` list of its topic"
        )
    return max(matches)[1]


def message_id(cls: Any) -> str:
    return f"{cls.name}.v{cls.version}"


def _ref(*parts: str) -> dict[str, str]:
    return {"$ref": "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)}


def _first_line(doc: str | None) -> str | None:
    lines = [line.strip() for line in (doc or "").strip().splitlines()]
    text = " ".join(lines[: lines.index("")] if "" in lines else lines)
    return text or None


def _message(cls: Any, service: str, topic: Topic) -> dict[str, Any]:
    key = (
        {"type": "string", "pattern": CREDIT_CODE, "description": "the subject: the payer's unified social credit code"}
        if topic.scope == "payer"
        else {"type": "string", "description": "the subject (for policies: the policy id); one partition"}
    )
    headers = {
        "type": "object",
        "allOf": [_ref("components", "schemas", "CloudEventsHeaders")],
        "properties": {
            "ce_type": {"const": cls.cloudevent_type()},
            "ce_dataschema": {"const": cls.dataschema()},
            "ce_source": {"const": f"/relief/{service}"},
        },
    }
    message: dict[str, Any] = {
        "name": cls.name,
        "title": f"{cls.name} v{cls.version}",
        "contentType": "application/json",
        "headers": headers,
        "payload": {"schemaFormat": DATA_FORMAT, "schema": {"$ref": f"./events/{message_id(cls)}.json"}},
        "correlationId": {"location": "$message.header#/ce_correlationid"},
        "bindings": {"kafka": {"key": key, "bindingVersion": KAFKA_BINDING}},
        "x-cloudevents-type": cls.cloudevent_type(),
        "x-dataschema": cls.dataschema(),
    }
    summary = _first_line(cls.__doc__)
    if summary:
        message["summary"] = summary
    if topic.public:
        message["tags"] = [{"name": "public"}]
    return message


def _channel(topic: Topic, senders: Sequence[str], readers: Sequence[str]) -> dict[str, Any]:
    if topic.dlq_of:
        default = (
            f"Records of {topic.dlq_of} that a consumer could not handle, unchanged (value, key, headers), "
            "with why in the dlq_* headers; the consumer moved on. Kept forever for operators to inspect and replay."
        )
    else:
        who = ", ".join(senders) or "no service yet"
        default = f"Events appended by {who}, published by the outbox relay in commit order."
        if readers:
            default += f" Read by {', '.join(readers)}."
    channel: dict[str, Any] = {
        "address": topic.name,
        "title": topic.name,
        "description": topic.description or default,
        "messages": {m: _ref("components", "messages", m) for m in topic.messages},
        "bindings": {
            "kafka": {
                "topic": topic.name,
                "partitions": topic.partitions,
                "topicConfiguration": {k: int(v) for k, v in topic.config.items() if k == "retention.ms"},
                "bindingVersion": KAFKA_BINDING,
            }
        },
        "x-scope": topic.scope,
    }
    if topic.public:
        channel["x-public"] = True
        channel["tags"] = [{"name": "public", "description": "an integration topic other agencies may read"}]
    return channel


def _operation(action: str, service: str, topic: Topic, messages: Iterable[str], groups: Sequence[str] = ()) -> dict[str, Any]:
    verb = "publishes to" if action == "send" else "consumes"
    op: dict[str, Any] = {
        "action": action,
        "channel": _ref("channels", topic.name),
        "title": f"{service} {verb} {topic.name}",
        "messages": [_ref("channels", topic.name, "messages", m) for m in messages],
        "x-service": service,
    }
    if groups:
        op["bindings"] = {"kafka": {"groupId": {"type": "string", "enum": list(groups)}, "bindingVersion": KAFKA_BINDING}}
    return op


def _consumers(definition: ServiceDefinition) -> dict[str, tuple[list[str], set[str]]]:
    """topic → (consumer groups reading it, event names those groups decode)."""
    out: dict[str, tuple[list[str], set[str]]] = {}
    for sub in definition.subscriptions():
        for topic in sub.topics:
            groups, names = out.setdefault(topic, ([], set()))
            groups.append(f"{definition.name}.{sub.group}")  # the Kafka group id (eventkit.consumer)
            names.update(cls.name for cls in sub.registry.classes())
    for topic in definition.read_topics:
        out.setdefault(topic, ([], set()))
    return out


def build(definitions: Sequence[ServiceDefinition], topics_file: Path, *, version: str) -> dict[str, Any]:
    topics = load_topics(topics_file)
    messages: dict[str, dict[str, Any]] = {}
    sends: dict[tuple[str, str], list[str]] = {}
    for d in definitions:
        for cls in d.registry.classes():
            topic = topics[topic_of_event(cls.name, topics)]
            mid = message_id(cls)
            if mid not in messages:
                messages[mid] = _message(cls, d.name, topic)
                topic.messages.append(mid)
            sends.setdefault((d.name, topic.name), []).append(mid)
    for topic in topics.values():
        if topic.dlq_of:
            topic.messages.append("DeadLetter")

    operations: dict[str, dict[str, Any]] = {}
    readers: dict[str, list[str]] = {}
    for (service, name), mids in sends.items():
        operations[f"{service}.send.{name}"] = _operation("send", service, topics[name], mids)
    for d in definitions:
        for name, (groups, decoded) in sorted(_consumers(d).items()):
            if name not in topics:
                raise LookupError(f"{d.name} reads {name!r}, which deploy/topics.yaml does not list")
            topic = topics[name]
            wanted = [m for m in topic.messages if messages.get(m, {}).get("name") in decoded] or topic.messages
            operations[f"{d.name}.receive.{name}"] = _operation("receive", d.name, topic, wanted, groups)
            readers.setdefault(name, []).append(d.name)
            dlq = topics.get(dlq_topic(name))
            if dlq is not None and groups:
                operations[f"{d.name}.send.{dlq.name}"] = _operation("send", d.name, dlq, ["DeadLetter"])

    senders = {name: sorted({s for s, t in sends if t == name}) for name in topics}
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:relief:asyncapi",
        "info": {
            "title": "Social-insurance fee relief platform: events",
            "version": version,
            "description": (
                "Every Kafka topic of the relief platform and every event type and version published on it. "
                "Generated by `make contracts` from the services' event registries and deploy/topics.yaml; "
                "the event data schemas are contracts/events/<name>.v<version>.json (JSON Schema 2020-12). "
                "CloudEvents 1.0, Kafka protocol binding, binary content mode: the attributes travel as ce_* "
                "headers, the record value is the event's data, the record key its subject."
            ),
            "tags": [{"name": "public", "description": "integration topics and events other agencies may rely on"}],
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "description": "the platform's Kafka cluster (KRaft); `make run` starts one on 127.0.0.1",
                "variables": {"bootstrap": {"default": "127.0.0.1:9092"}},
            }
        },
        "channels": {
            t.name: _channel(t, senders[t.name], readers.get(t.name, [])) for t in sorted(topics.values(), key=lambda t: t.name)
        },
        "operations": dict(sorted(operations.items())),
        "components": {"schemas": common_schemas(), "messages": {**dict(sorted(messages.items())), "DeadLetter": DEAD_LETTER}},
    }


def common_schemas() -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "CloudEventsHeaders": {
            "type": "object",
            "description": "CloudEvents 1.0 attributes in the Kafka binary binding, UTF-8 header values.",
            "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "content-type"],
            "properties": {
                "ce_specversion": {"const": "1.0"},
                "ce_id": {**text, "description": "the event id (deduplication key of every consumer)"},
                "ce_source": {**text, "description": "/relief/<service>"},
                "ce_type": {**text, "pattern": r"^relief\.[A-Za-z0-9_.]+\.v[0-9]+$"},
                "ce_subject": {**text, "description": "the payer's credit code (the record key), or the policy id"},
                "ce_time": {**text, "format": "date-time"},
                "ce_dataschema": {**text, "description": "urn:relief:schema:<name>:v<version>, the $id of the data schema"},
                "ce_correlationid": {**text, "description": "the id of the request or event that started the chain"},
                "ce_causationid": {**text, "description": "the id of the request or event that caused this one"},
                "ce_traceparent": {**text, "description": "W3C trace context"},
                "ce_streamid": {**text, "description": "the aggregate stream the event belongs to"},
                "ce_streamversion": {**text, "pattern": "^[0-9]+$", "description": "its version in that stream"},
                "content-type": {"const": "application/json"},
                "traceparent": {**text, "description": "W3C trace context, copied for tracers that read plain headers"},
            },
        },
        "DeadLetterHeaders": {
            "type": "object",
            "description": "The original record's headers plus why it was dead-lettered.",
            "required": ["dlq_reason", "dlq_error", "dlq_topic", "dlq_partition", "dlq_offset", "dlq_group", "dlq_service"],
            "properties": {
                "dlq_reason": {"enum": ["malformed", "unknown_type", "handler_error"]},
                "dlq_error": text,
                "dlq_error_type": text,
                "dlq_stack": text,
                "dlq_topic": text,
                "dlq_partition": {**text, "pattern": "^[0-9]+$"},
                "dlq_offset": {**text, "pattern": "^[0-9]+$"},
                "dlq_group": text,
                "dlq_service": text,
                "dlq_time": {**text, "format": "date-time"},
            },
        },
    }


DEAD_LETTER: dict[str, Any] = {
    "name": "DeadLetter",
    "title": "A record a consumer could not handle",
    "summary": "The original record, unchanged, with why in its dlq_* headers.",
    "headers": {"$ref": "#/components/schemas/DeadLetterHeaders"},
    "payload": {"description": "the original record's value, byte for byte (it may not be JSON)"},
    "bindings": {
        "kafka": {"key": {"type": "string", "description": "the original record's key"}, "bindingVersion": KAFKA_BINDING}
    },
}


def render(document: dict[str, Any]) -> str:
    header = "# Generated by `make contracts` (tools/export_contracts.py); do not edit by hand.\n"
    return header + str(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120))
