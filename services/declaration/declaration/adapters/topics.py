"""The Kafka topics the declaration service owns (created at start-up) and the ones it reads.

Payer-scoped topics are keyed by the payer's credit code and share one partition count
(setting `DECLARATION_TOPIC_PARTITIONS`, default 12); every topic keeps its records forever.
"""

from __future__ import annotations

from eventkit.kafka import TopicSpec

# owned
DECLARATION_TOPIC = "declaration.events"

# read (owned by other services)
RELIEF_TOPIC = "relief.events"
READS = (RELIEF_TOPIC,)


def own_topics(partitions: int, replication: int) -> list[TopicSpec]:
    return [
        *TopicSpec(DECLARATION_TOPIC, partitions, replication).with_dlq(),
    ]
