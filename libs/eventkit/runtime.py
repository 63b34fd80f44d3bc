"""What a running service holds: engine, sessions, event store, producer, outbox relay and
consumers, started and stopped together. The web app, the CLI and the tests all build one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from eventkit.consumer import ConsumerRunner
from eventkit.db import make_engine, make_sessionmaker
from eventkit.deadletter import DeadLetters
from eventkit.events import EventRegistry
from eventkit.kafka import TopicSpec, ensure_topics, make_producer
from eventkit.outbox import OutboxRelay
from eventkit.processing import Subscription
from eventkit.projection import Projection
from eventkit.schema import KernelTables, kernel_tables
from eventkit.store import EventStore

log = logging.getLogger(__name__)
ReadinessCheck = Callable[[], Awaitable[tuple[str, bool, str]]]


@dataclass(frozen=True)
class ServiceDefinition:
    """Everything that makes a service this service; the kernel supplies the rest."""

    name: str
    topic: str  # the topic its own events are published to
    metadata: sa.MetaData
    registry: EventRegistry
    own_topics: Callable[[int, int], Sequence[TopicSpec]]  # (partitions, replication) -> its topics incl. DLQs
    read_topics: Sequence[str] = ()  # topics of other services it consumes (created if missing)
    projections: Sequence[Projection] = ()
    processors: Sequence[Subscription] = ()  # consumers that decide and append events (not rebuilt)
    # processors whose handler appends through the runtime's own event store (so that the relay
    # is woken on commit): built once the store exists
    processor_factories: Sequence[Callable[[EventStore], Subscription]] = ()
    # public integration topics this service publishes to (eventkit.public): its translators
    # append integration events to its own store with one of these as the outbox topic, and the
    # relay publishes them there; created with their DLQs like its own topic
    public_topics: Sequence[str] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def kernel(self) -> KernelTables:
        return kernel_tables(self.metadata)

    def event_store(self) -> EventStore:
        """The service's event store (the runtime holds one; tools and tests build their own)."""
        return EventStore(
            service=self.name, source=f"/relief/{self.name}", topic=self.topic, tables=self.kernel, registry=self.registry
        )

    def subscriptions(self, store: EventStore | None = None) -> list[Subscription]:
        """Every consumer group: projections, processors and those built by factories (with `store`,
        the runtime's own, or else a store of the service's own)."""
        store = store or self.event_store()
        built = [make(store) for make in self.processor_factories]
        return [p.subscription() for p in self.projections] + list(self.processors) + built

    def topic_specs(self, partitions: int, replication: int) -> list[TopicSpec]:
        specs = list(self.own_topics(partitions, replication))
        known = {s.name for s in specs}
        for name in self.public_topics:
            if name not in known:
                specs += TopicSpec(name, partitions, replication).with_dlq()
                known.add(name)
        for name in self.read_topics:
            if name not in known:
                specs += TopicSpec(name, partitions, replication).with_dlq()
        return specs


class ServiceRuntime:
    def __init__(
        self,
        definition: ServiceDefinition,
        *,
        database_url: str,
        bootstrap: str,
        partitions: int = 12,
        replication: int = 1,
        run_relay: bool = True,
        run_consumers: bool = True,
    ) -> None:
        self.definition = definition
        self.bootstrap = bootstrap
        self.partitions = partitions
        self.replication = replication
        self.run_relay = run_relay
        self.run_consumers = run_consumers
        self.engine: AsyncEngine = make_engine(database_url)
        self.sessions: async_sessionmaker[AsyncSession] = make_sessionmaker(self.engine)
        self.store = definition.event_store()
        self.producer: AIOKafkaProducer | None = None
        self.relay: OutboxRelay | None = None
        self.consumers: list[ConsumerRunner] = []
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Create topics, connect the producer and start relay and consumers in the background.
        Kafka being away at start-up is waited out in the background, not fatal."""
        self._stop.clear()
        self._tasks.append(asyncio.create_task(self._start_kafka_side(), name=f"{self.definition.name}-kafka"))

    async def _start_kafka_side(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                await ensure_topics(self.bootstrap, self.definition.topic_specs(self.partitions, self.replication))
                producer = make_producer(self.bootstrap, client_id=f"{self.definition.name}-producer")
                await producer.start()
                self.producer = producer
                break
            except Exception as exc:
                log.warning("%s: Kafka not reachable yet (%s); retrying in %.1fs", self.definition.name, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        if self.producer is None:
            return
        if self.run_relay:
            self.relay = OutboxRelay(
                service=self.definition.name,
                sessions=self.sessions,
                tables=self.definition.kernel,
                producer=self.producer,
                wakeup=self.store.committed,
            )
            self._tasks.append(asyncio.create_task(self._guard(self.relay.run(self._stop), "relay")))
        if self.run_consumers:
            dead = DeadLetters(service=self.definition.name, producer=self.producer)
            for sub in self.definition.subscriptions(self.store):
                runner = ConsumerRunner(
                    service=self.definition.name,
                    bootstrap=self.bootstrap,
                    sessions=self.sessions,
                    tables=self.definition.kernel,
                    subscription=sub,
                    dead_letters=dead,
                )
                self.consumers.append(runner)
                self._tasks.append(asyncio.create_task(self._guard(runner.run(self._stop), sub.group)))

    async def _guard(self, work: Awaitable[None], what: str) -> None:
        """Keep a background component alive: an unexpected crash is logged and restarted."""
        while True:
            try:
                await work
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: %s stopped unexpectedly; restarting in 2s", self.definition.name, what)
                if self._stop.is_set():
                    return
                await asyncio.sleep(2)
                if what == "relay" and self.relay is not None:
                    work = self.relay.run(self._stop)
                else:
                    runner = next((c for c in self.consumers if c.sub.group == what), None)
                    if runner is None:
                        return
                    work = runner.run(self._stop)

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=15)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
            except Exception:
                log.exception("%s: error while stopping", self.definition.name)
        self._tasks.clear()
        if self.producer is not None:
            await self.producer.stop()
            self.producer = None
        await self.engine.dispose()

    # ---- readiness ---------------------------------------------------------------------------
    def readiness_checks(self) -> list[ReadinessCheck]:
        """Kafka and consumer checks; the app factory adds the database check itself."""
        return [self._check_kafka, self._check_consumers]

    async def _check_kafka(self) -> tuple[str, bool, str]:
        if self.producer is None:
            return "kafka", False, "producer not connected yet"
        try:
            await asyncio.wait_for(self.producer.client.fetch_all_metadata(), timeout=3)
            return "kafka", True, "metadata ok"
        except Exception as exc:
            return "kafka", False, f"{type(exc).__name__}: {exc}"[:300]

    async def _check_consumers(self) -> tuple[str, bool, str]:
        if not self.run_consumers or not self.definition.subscriptions(self.store):
            return "consumers", True, "none"
        if not self.consumers:
            return "consumers", False, "not started"
        unknown = [c.sub.group for c in self.consumers if not c.lag_known()]
        if unknown:
            return "consumers", False, f"lag not known yet for {', '.join(unknown)}"
        total = sum(sum(c.lag.values()) for c in self.consumers)
        return "consumers", True, f"lag {total}"
