"""The classification service, wired: its definition for the kernel and its command-line spec."""

from __future__ import annotations

from pathlib import Path

from classification.adapters import dispute_view, payer_marks, sizes, topics
from classification.adapters.tables import metadata
from classification.api import routers
from classification.application.public import public_translator
from classification.domain.public_events import PUBLIC_SIZE_TOPIC
from classification.domain.registry import registry
from classification.settings import Settings
from eventkit.cli import ServiceSpec
from eventkit.runtime import ServiceDefinition
from eventkit.streams import stream_index

DEFINITION = ServiceDefinition(
    name="classification",
    topic=topics.CLASSIFICATION_TOPIC,
    metadata=metadata,
    registry=registry,
    own_topics=topics.own_topics,
    read_topics=topics.READS,
    projections=(
        stream_index(metadata, topics.CLASSIFICATION_TOPIC, registry),
        sizes.projection(),
        dispute_view.projection(),
        payer_marks.projection(),
    ),
    processor_factories=(public_translator,),
    public_topics=(PUBLIC_SIZE_TOPIC,),
)

SPEC = ServiceSpec(
    definition=DEFINITION,
    settings_cls=Settings,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=routers,
    configure=payer_marks.configure,
)
