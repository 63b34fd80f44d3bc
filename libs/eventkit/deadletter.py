"""Dead-letter publishing: a record that cannot be handled goes to `<topic>.dlq`, unchanged, with
why in its headers; the consumer then moves on. The send is acknowledged before the consumer's
offset moves past the record, so a poison record is never simply dropped."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from eventkit.errors import MalformedEvent, UnknownEventType
from eventkit.kafka import dlq_topic
from eventkit.metrics import EVENTS_DEAD_LETTERED

log = logging.getLogger(__name__)


def reason_of(exc: BaseException) -> str:
    if isinstance(exc, MalformedEvent):
        return "malformed"
    if isinstance(exc, UnknownEventType):
        return "unknown_type"
    return "handler_error"


class DeadLetters:
    def __init__(self, *, service: str, producer: AIOKafkaProducer) -> None:
        self.service = service
        self.producer = producer

    async def send_all(self, dead: Sequence[tuple[Any, BaseException]], group: str) -> None:
        """Dead-letter every (record, error) of a batch at once: all are handed to the producer
        first, then every acknowledgement is awaited, so a flood of poison records costs one round
        trip per batch rather than one per record. Returns only when all are acknowledged (the
        caller then moves its offset past them); the producer keeps their order per partition."""
        pending = []
        for record, exc in dead:
            headers = self._headers(record, exc, group)
            pending.append(await self.producer.send(dlq_topic(record.topic), value=record.value, key=record.key, headers=headers))
        for future in pending:
            await future
        for record, exc in dead:
            reason = reason_of(exc)
            EVENTS_DEAD_LETTERED.labels(self.service, group, record.topic, reason).inc()
            log.error(
                "dead-lettered %s:%s@%s (%s): %s",
                record.topic,
                record.partition,
                record.offset,
                reason,
                _text(exc),
                extra={"consumer_group": group},
            )

    def _headers(self, record: Any, exc: BaseException, group: str) -> list[tuple[str, bytes]]:
        headers = list(record.headers or ())
        headers += [
            ("dlq_reason", reason_of(exc).encode()),
            ("dlq_error", _text(exc).encode()),
            ("dlq_error_type", type(exc).__name__.encode()),
            ("dlq_stack", "".join(traceback.format_exception(exc))[-4000:].encode()),
            ("dlq_topic", record.topic.encode()),
            ("dlq_partition", str(record.partition).encode()),
            ("dlq_offset", str(record.offset).encode()),
            ("dlq_group", group.encode()),
            ("dlq_service", self.service.encode()),
            ("dlq_time", datetime.now(UTC).isoformat().encode()),
        ]
        return headers


def _text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]
