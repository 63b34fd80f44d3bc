"""The relief-calc service, wired: its definition for the kernel and its command-line spec."""

from __future__ import annotations

from pathlib import Path

from eventkit.cli import ServiceSpec
from eventkit.runtime import ServiceDefinition
from eventkit.streams import stream_index
from relief_calc.adapters import deferrals, inputs, liabilities, paid, topics
from relief_calc.adapters.tables import metadata
from relief_calc.api import routers
from relief_calc.application.public import public_translator
from relief_calc.domain.events import registry
from relief_calc.domain.public_events import PUBLIC_COLLECTION_TOPIC, PUBLIC_DECISION_TOPIC
from relief_calc.settings import Settings
from relief_calc.workers import background

DEFINITION = ServiceDefinition(
    name="relief-calc",
    topic=topics.RELIEF_TOPIC,
    metadata=metadata,
    registry=registry,
    own_topics=topics.own_topics,
    read_topics=topics.READS,
    projections=(
        stream_index(metadata, topics.RELIEF_TOPIC, registry),
        inputs.projection(),
        liabilities.projection(),
        deferrals.projection(),
        paid.projection(),
    ),
    processor_factories=(public_translator,),
    public_topics=(PUBLIC_COLLECTION_TOPIC, PUBLIC_DECISION_TOPIC),
)

SPEC = ServiceSpec(
    definition=DEFINITION,
    settings_cls=Settings,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=routers,
    lifespan_hooks=(background,),
)
