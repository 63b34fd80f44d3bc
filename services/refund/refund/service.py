"""The refund service, wired: its definition for the kernel and its command-line spec."""

from __future__ import annotations

from pathlib import Path

from eventkit.cli import ServiceSpec
from eventkit.runtime import ServiceDefinition
from eventkit.streams import stream_index
from refund.adapters import reconciliation, refunds, topics
from refund.adapters.tables import metadata
from refund.api import routers
from refund.application.dues import dues_processor
from refund.application.public import public_translator
from refund.domain.events import registry
from refund.domain.public_events import PUBLIC_COLLECTION_TOPIC
from refund.settings import Settings
from refund.workers import background

DEFINITION = ServiceDefinition(
    name="refund",
    topic=topics.REFUND_TOPIC,
    metadata=metadata,
    registry=registry,
    own_topics=topics.own_topics,
    read_topics=topics.READS,
    projections=(
        stream_index(metadata, topics.REFUND_TOPIC, registry),
        refunds.projection(),
        reconciliation.projection(),
    ),
    processor_factories=(dues_processor, public_translator),
    public_topics=(PUBLIC_COLLECTION_TOPIC,),
)

SPEC = ServiceSpec(
    definition=DEFINITION,
    settings_cls=Settings,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=routers,
    lifespan_hooks=(background,),
)
