"""The Kafka topics the relief-calc service owns (created at start-up) and the ones it reads.

Payer-scoped topics are keyed by the payer's credit code and share one partition count
(setting `RELIEF_CALC_TOPIC_PARTITIONS`, default 12); every topic keeps its records forever.
"""

from __future__ import annotations

from eventkit.kafka import TopicSpec

# owned
RELIEF_TOPIC = "relief.events"
POLICY_TOPIC = "policy.events"

# read (owned by other services)
DECLARATION_TOPIC = "declaration.events"
CLASSIFICATION_TOPIC = "classification.events"
REFUND_TOPIC = "refund.events"
READS = (DECLARATION_TOPIC, CLASSIFICATION_TOPIC, REFUND_TOPIC)


def own_topics(partitions: int, replication: int) -> list[TopicSpec]:
    return [
        *TopicSpec(RELIEF_TOPIC, partitions, replication).with_dlq(),
        # Policies are global: one partition, read in full by every instance.
        *TopicSpec(POLICY_TOPIC, 1, replication).with_dlq(),
    ]
