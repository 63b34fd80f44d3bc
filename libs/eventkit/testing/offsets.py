"""Test isolation on a shared broker: start a service's consumer groups at the topics' current end.

The broker of a test session keeps every earlier test's events; a service on a fresh database
would replay all of them first. Storing the end offsets as the groups' next offsets (before the
service starts) makes it read only what the test itself produces. Tests that mean to replay
everything (rebuilds) do not call this.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

import sqlalchemy as sa

from eventkit.db import make_engine
from eventkit.kafka import TopicSpec, ensure_topics
from eventkit.schema import KernelTables
from eventkit.testing.proofs import end_offsets


class Group(Protocol):
    """A consumer group and what it reads (a Projection or a Subscription)."""

    @property
    def group(self) -> str: ...

    @property
    def topics(self) -> tuple[str, ...]: ...


async def start_groups_at_end(
    database_url: str, bootstrap: str, kernel: KernelTables, groups: Iterable[Group], topics: Iterable[TopicSpec]
) -> None:
    """Store the end of each of ``topics`` as the next offset of every group that reads it."""
    specs = list(topics)
    members = list(groups)
    await ensure_topics(bootstrap, specs)
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            for spec in specs:
                ends = await end_offsets(bootstrap, spec.name)
                for group in (m.group for m in members if spec.name in m.topics):
                    for partition, offset in ends.items():
                        await conn.execute(
                            sa.insert(kernel.consumer_offsets).values(
                                consumer_group=group,
                                topic=spec.name,
                                partition=partition,
                                next_offset=offset,
                                updated_at=datetime.now(UTC),
                            )
                        )
    finally:
        await engine.dispose()
