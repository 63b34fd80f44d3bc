"""The Kafka topics the classification service owns (created at start-up) and the ones it reads.

Payer-scoped topics are keyed by the payer's credit code and share one partition count
(setting `CLASSIFICATION_TOPIC_PARTITIONS`, default 12); every topic keeps its records forever.
"""

from __future__ import annotations

from eventkit.kafka import TopicSpec

# owned
CLASSIFICATION_TOPIC = "classification.events"

# read (owned by other services)
DECLARATION_TOPIC = "declaration.events"
READS = (DECLARATION_TOPIC,)


def own_topics(partitions: int, replication: int) -> list[TopicSpec]:
    return [
        *TopicSpec(CLASSIFICATION_TOPIC, partitions, replication).with_dlq(),
    ]
