"""Local infrastructure for the relief platform: a real Kafka broker and a real PostgreSQL cluster.

Both run as plain child processes (no Docker): Kafka from jars Maven resolves via
``tools/kafka/pom.xml``, PostgreSQL from the distribution's PostgreSQL 15 binaries.
"""

from devstack.kafka import KafkaBroker, KafkaStartError, ensure_kafka_jars
from devstack.paths import repo_root
from devstack.ports import free_port
from devstack.postgres import PostgresCluster, PostgresError
from devstack.topics import create_topics

__all__ = [
    "KafkaBroker",
    "KafkaStartError",
    "PostgresCluster",
    "PostgresError",
    "create_topics",
    "ensure_kafka_jars",
    "free_port",
    "repo_root",
]
