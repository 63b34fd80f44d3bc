"""The subscriptions service, wired: its definition for the kernel and its command-line spec."""

from __future__ import annotations

from pathlib import Path

from eventkit.cli import ServiceSpec
from eventkit.runtime import ServiceDefinition
from eventkit.streams import stream_index
from subscriptions.adapters import archive, topics, webhooks
from subscriptions.adapters.tables import metadata
from subscriptions.api import routers
from subscriptions.application.fanout import fanout_processor
from subscriptions.domain.events import registry
from subscriptions.settings import Settings
from subscriptions.workers import background

DEFINITION = ServiceDefinition(
    name="subscriptions",
    topic=topics.SUBSCRIPTIONS_TOPIC,
    metadata=metadata,
    registry=registry,
    own_topics=topics.own_topics,
    read_topics=topics.READS,
    projections=(
        stream_index(metadata, topics.SUBSCRIPTIONS_TOPIC, registry),
        webhooks.projection(),
        archive.projection(),
    ),
    processors=(fanout_processor(),),
)

SPEC = ServiceSpec(
    definition=DEFINITION,
    settings_cls=Settings,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=routers,
    lifespan_hooks=(background,),
)
