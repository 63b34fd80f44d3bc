"""The consumer runner: a Kafka consumer group feeding a PartitionProcessor.

- Offsets live in the service's database only (see processing.py). Nothing is committed to
  Kafka: a committed offset there could position a freshly assigned partition ahead of the
  database's before our seek lands, and records applied from there would leave a gap behind.
- On assignment every partition is positioned explicitly at the offset stored in the database
  (a partition new to the group at its log start, which is then stored as its floor). The
  processor refuses a batch that starts beyond the stored offset and the runner seeks back.
- `getmany` batches are applied per partition; a transient fault (database or broker away)
  retries the same records with back-off, forever, and never skips them.
- `run_until_end` (used by rebuild) reads every partition of the topics without a group, from
  the stored offsets up to the end offsets seen at its start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener
from aiokafka.structs import TopicPartition
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eventkit.db import is_transient
from eventkit.deadletter import DeadLetters
from eventkit.kafka_security import client_options
from eventkit.metrics import CONSUMER_LAG, TRANSIENT_RETRIES
from eventkit.processing import OffsetGap, PartitionProcessor, Subscription
from eventkit.schema import KernelTables

log = logging.getLogger(__name__)
Progress = Callable[[int], None]


class ConsumerRunner:
    def __init__(
        self,
        *,
        service: str,
        bootstrap: str,
        sessions: async_sessionmaker[AsyncSession],
        tables: KernelTables,
        subscription: Subscription,
        dead_letters: DeadLetters,
        max_records: int = 1000,
        instance_id: str | None = None,
    ) -> None:
        self.service = service
        self.bootstrap = bootstrap
        self.sub = subscription
        self.max_records = max_records
        # Static group membership (KIP-345): a member that restarts under the same instance id
        # gets its partitions back at once instead of waiting out a rebalance.
        self.instance_id = instance_id
        self.processor = PartitionProcessor(
            service=service, sessions=sessions, tables=tables, subscription=subscription, dead_letters=dead_letters
        )
        self.consumer: AIOKafkaConsumer | None = None
        self.lag: dict[TopicPartition, int] = {}
        self.assigned: set[TopicPartition] = set()
        self.assignment_received = False

    @property
    def kafka_group(self) -> str:
        """The Kafka group id: the service's name, then the group (``declaration.projection.inputs``).
        Group ids are global to a cluster: two services each with a ``projection.stream-index``
        would otherwise share one group, split a topic they both read between them, and disturb each
        other's rebalances. The database keeps offsets under ``sub.group`` (the database is the
        service's own); Kafka stores no offsets for these groups at all."""
        return f"{self.service}.{self.sub.group}"

    # ---- live, as a member of the consumer group --------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=self.kafka_group,
            group_instance_id=f"{self.instance_id}-{self.kafka_group}" if self.instance_id else None,
            client_id=f"{self.service}-{self.sub.group}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=4 * 1024 * 1024,
            **client_options(),
        )
        self.consumer = consumer
        await self._start_with_retry(consumer, stop)
        try:
            consumer.subscribe(list(self.sub.topics), listener=_SeekToStored(self))
            while not stop.is_set():
                batch = await self._getmany(consumer, stop)
                for tp, records in batch.items():
                    if stop.is_set():
                        break
                    await self._apply_with_retry(consumer, tp, records, stop)
                await self._refresh_lag(consumer)
        finally:
            await consumer.stop()
            self.consumer = None

    async def _start_with_retry(self, consumer: AIOKafkaConsumer, stop: asyncio.Event) -> None:
        delay = 0.5
        while True:
            try:
                await consumer.start()
                return
            except Exception as exc:
                if not is_transient(exc) or stop.is_set():
                    raise
                log.warning("consumer %s cannot reach Kafka (%s); retrying in %.1fs", self.sub.group, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _getmany(self, consumer: AIOKafkaConsumer, stop: asyncio.Event) -> dict[TopicPartition, list[Any]]:
        try:
            batch: dict[TopicPartition, list[Any]] = await consumer.getmany(timeout_ms=500, max_records=self.max_records)
            return batch
        except Exception as exc:
            if not is_transient(exc):
                raise
            TRANSIENT_RETRIES.labels(self.service, "consumer").inc()
            log.warning("consumer %s fetch failed (%s); retrying", self.sub.group, exc)
            await asyncio.sleep(1.0)
            return {}

    async def _apply_with_retry(
        self, consumer: AIOKafkaConsumer | None, tp: TopicPartition, records: Sequence[Any], stop: asyncio.Event | None
    ) -> int | None:
        delay = 0.1
        while True:
            try:
                return await self.processor.process(tp, records)
            except OffsetGap as gap:
                # Records arrived from beyond the stored offset (a position set before our seek
                # landed): apply nothing, go back to where the database says we are.
                log.warning("consumer %s: %s; seeking back to %d", self.sub.group, gap, gap.stored)
                if consumer is None:
                    raise
                consumer.seek(tp, gap.stored)
                return None
            except Exception as exc:
                if not is_transient(exc):
                    raise
                TRANSIENT_RETRIES.labels(self.service, "consumer").inc()
                log.warning("consumer %s: transient fault on %s (%s); retrying in %.1fs", self.sub.group, tp, exc, delay)
                if stop is not None and stop.is_set():
                    return None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _refresh_lag(self, consumer: AIOKafkaConsumer) -> None:
        for tp in consumer.assignment():
            high = consumer.highwater(tp)
            if high is None:  # no fetch response for this partition yet
                continue
            try:
                position = await asyncio.wait_for(consumer.position(tp), timeout=1.0)
            except Exception:
                continue
            lag = max(0, high - position)
            self.lag[tp] = lag
            CONSUMER_LAG.labels(self.service, self.sub.group, tp.topic, str(tp.partition)).set(lag)

    def lag_known(self) -> bool:
        return self.assignment_received and all(tp in self.lag for tp in self.assigned)

    async def seek_to_stored(self, consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition]) -> None:
        """Position every partition exactly at its stored offset; a partition the group has never
        read starts at its log start, which is stored as its floor first."""
        floors = await consumer.beginning_offsets(list(partitions))
        offsets = await self.processor.stored_offsets(partitions, floors=floors)
        for tp in partitions:
            consumer.seek(tp, offsets[tp])

    # ---- rebuild: read to the end without a group ------------------------------------------
    async def run_until_end(self, progress: Progress | None = None, on_total: Progress | None = None) -> tuple[int, int]:
        """Apply every record up to the end offsets taken now; returns (records read, total)."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            client_id=f"{self.service}-rebuild",
            **client_options(),
        )
        await consumer.start()
        try:
            partitions = [TopicPartition(t, p) for t in self.sub.topics for p in sorted(consumer.partitions_for_topic(t) or ())]
            if not partitions:
                await consumer.force_metadata_update()
                partitions = [
                    TopicPartition(t, p) for t in self.sub.topics for p in sorted(consumer.partitions_for_topic(t) or ())
                ]
            consumer.assign(partitions)
            ends = await consumer.end_offsets(partitions)
            await self.seek_to_stored(consumer, partitions)
            starts = {tp: await consumer.position(tp) for tp in partitions}
            total = sum(max(0, ends[tp] - starts[tp]) for tp in partitions)
            if on_total:
                on_total(total)
            remaining = {tp for tp in partitions if starts[tp] < ends[tp]}
            read = 0
            while remaining:
                batch = await consumer.getmany(*remaining, timeout_ms=1000, max_records=self.max_records)
                for tp, records in batch.items():
                    records = [r for r in records if r.offset < ends[tp]]
                    if records:
                        await self._apply_with_retry(None, tp, records, None)
                        read += len(records)
                        if progress:
                            progress(len(records))
                    if await consumer.position(tp) >= ends[tp]:
                        remaining.discard(tp)
            return read, total
        finally:
            await consumer.stop()


class _SeekToStored(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, runner: ConsumerRunner) -> None:
        self.runner = runner

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        self.runner.assigned -= set(revoked)
        for tp in revoked:
            self.runner.lag.pop(tp, None)

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        consumer = self.runner.consumer
        assert consumer is not None
        self.runner.assigned |= set(assigned)
        self.runner.assignment_received = True
        delay = 0.2
        while True:  # the database may be away right now: keep trying, never guess an offset
            try:
                await self.runner.seek_to_stored(consumer, list(assigned))
                return
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning("cannot read stored offsets (%s); retrying", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
