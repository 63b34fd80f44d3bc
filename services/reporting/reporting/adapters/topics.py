"""The Kafka topics the reporting service owns and the ones it reads (every service's own topic).

Payer-scoped topics are keyed by the payer's credit code and share one partition count
(`REPORTING_TOPIC_PARTITIONS`, default 12); `policy.events` is global with one partition (listed
here with its one partition, so that a reporting service started first creates it right).
"""

from __future__ import annotations

from eventkit.kafka import TopicSpec

# owned
REPORTING_TOPIC = "reporting.events"
# read (owned by other services)
DECLARATION_TOPIC = "declaration.events"
RELIEF_TOPIC = "relief.events"
REFUND_TOPIC = "refund.events"
CLASSIFICATION_TOPIC = "classification.events"
POLICY_TOPIC = "policy.events"
READS = (DECLARATION_TOPIC, RELIEF_TOPIC, REFUND_TOPIC, CLASSIFICATION_TOPIC, POLICY_TOPIC)


def own_topics(partitions: int, replication: int) -> list[TopicSpec]:
    return [
        *TopicSpec(REPORTING_TOPIC, partitions, replication).with_dlq(),
        *TopicSpec(POLICY_TOPIC, 1, replication).with_dlq(),
    ]
