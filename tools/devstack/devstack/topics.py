"""Idempotent topic creation with aiokafka's admin client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

TopicSpec = tuple[str, int, Mapping[str, str]]


async def create_topics(
    bootstrap: str,
    topics: Sequence[TopicSpec],
    *,
    replication_factor: int = 1,
    timeout: float = 30.0,  # noqa: ASYNC109 - also the broker-side create timeout
) -> list[str]:
    """Create each ``(name, partitions, config)`` topic that does not exist yet.

    Idempotent: a topic that already exists is left as it is (its partition count and config are
    NOT reconciled). Any other per-topic error is raised. Returns the names actually created.
    Before returning, waits until every requested topic has a leader for all its partitions, so
    a producer started right after does not race the controller.
    """
    if not topics:
        return []
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    await admin.start()
    try:
        new = [NewTopic(name, partitions, replication_factor, topic_configs=dict(config)) for name, partitions, config in topics]
        response = await admin.create_topics(new, timeout_ms=int(timeout * 1000))
        created: list[str] = []
        for entry in response.topic_errors:
            name, code = entry[0], entry[1]
            message = entry[2] if len(entry) > 2 else None
            if code == 0:
                created.append(name)
                continue
            err_cls = for_code(code)
            if err_cls is TopicAlreadyExistsError:
                continue
            raise err_cls(f"cannot create topic {name!r}: {message}")
        await _wait_for_leaders(admin, [t[0] for t in topics], timeout)
        return created
    finally:
        await admin.close()


async def _wait_for_leaders(admin: AIOKafkaAdminClient, names: list[str], timeout: float) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while True:
        described = await admin.describe_topics(names)
        if all(_topic_ready(t) for t in described):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"topics {names} have no leader after {timeout}s: {described}")
        await asyncio.sleep(0.1)


def _topic_ready(topic: Mapping[str, object]) -> bool:
    if topic.get("error_code"):
        return False
    partitions = topic.get("partitions")
    if not isinstance(partitions, list) or not partitions:
        return False
    return all(not p.get("error_code") and p.get("leader", -1) >= 0 for p in partitions)
