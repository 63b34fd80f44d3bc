"""Kafka plumbing: topic declarations, producer and consumer construction.

Every service declares its topics in code (TopicSpec) and creates them at start-up; creation is
idempotent. Payer-scoped topics share one partition count (co-partitioning by credit code); the
policy topic has one partition. Every topic keeps its records forever (retention.ms=-1): the log
is the truth a rebuild replays.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from eventkit.kafka_security import client_options

log = logging.getLogger(__name__)

DLQ_SUFFIX = ".dlq"


def dlq_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int = 1
    config: dict[str, str] = field(default_factory=lambda: {"retention.ms": "-1"})

    def with_dlq(self) -> list[TopicSpec]:
        return [self, TopicSpec(dlq_topic(self.name), self.partitions, self.replication_factor, dict(self.config))]


async def ensure_topics(bootstrap: str, specs: Iterable[TopicSpec], *, timeout_s: float = 60) -> None:
    """Create the topics that do not exist yet (never alters an existing one)."""
    specs = list(specs)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000), **client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [
                        NewTopic(
                            name=s.name,
                            num_partitions=s.partitions,
                            replication_factor=s.replication_factor,
                            topic_configs=s.config,
                        )
                        for s in missing
                    ]
                )
            except TopicAlreadyExistsError:
                pass
            log.info("created topics", extra={"topics": [s.name for s in missing]})
        await _wait_for_metadata(admin, [s.name for s in specs], timeout_s)
    finally:
        await admin.close()


async def _wait_for_metadata(admin: AIOKafkaAdminClient, names: list[str], timeout_s: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        if set(names) <= set(await admin.list_topics()):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"topics not visible after {timeout_s}s: {names}")
        await asyncio.sleep(0.2)


def make_producer(bootstrap: str, *, client_id: str) -> AIOKafkaProducer:
    """An idempotent producer: acks from all in-sync replicas, broker-side de-duplication of
    retried batches, and per-partition order kept across retries."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=512 * 1024,
        request_timeout_ms=30000,
        **client_options(),
    )
