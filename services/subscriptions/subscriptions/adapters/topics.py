"""The Kafka topics the subscriptions service owns and the public ones it reads."""

from __future__ import annotations

from eventkit.kafka import TopicSpec
from subscriptions.domain.events import PUBLIC_TOPICS

SUBSCRIPTIONS_TOPIC = "subscriptions.events"
READS = PUBLIC_TOPICS


def own_topics(partitions: int, replication: int) -> list[TopicSpec]:
    return [*TopicSpec(SUBSCRIPTIONS_TOPIC, partitions, replication).with_dlq()]
