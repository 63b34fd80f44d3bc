"""The declaration service, wired: its definition for the kernel and its command-line spec."""

from __future__ import annotations

from pathlib import Path

from declaration.adapters import liabilities, projections, topics
from declaration.adapters.tables import metadata
from declaration.api import routers
from declaration.api.uploads import upload_worker
from declaration.domain.events import registry
from declaration.settings import Settings
from eventkit.cli import ServiceSpec
from eventkit.runtime import ServiceDefinition
from eventkit.streams import stream_index

DEFINITION = ServiceDefinition(
    name="declaration",
    topic=topics.DECLARATION_TOPIC,
    metadata=metadata,
    registry=registry,
    own_topics=topics.own_topics,
    read_topics=topics.READS,
    projections=(
        stream_index(metadata, topics.DECLARATION_TOPIC, registry),
        projections.projection(),
        liabilities.projection(),
    ),
)

SPEC = ServiceSpec(
    definition=DEFINITION,
    settings_cls=Settings,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=routers,
    lifespan_hooks=(upload_worker,),
)
