"""The reporting service, wired: its definition for the kernel and its command-line spec.

A consumer of every topic: one projection per source (each rebuildable on its own), the stream
index of its own topic, and no processors (it decides nothing but the fund figures' entry)."""

from __future__ import annotations

from pathlib import Path

from eventkit.cli import ServiceSpec
from eventkit.runtime import ServiceDefinition
from eventkit.streams import stream_index
from reporting.adapters import disputes, ledger, liabilities, medical_fund, policies, registry_view, topics
from reporting.adapters.tables import metadata
from reporting.api import routers
from reporting.domain.events import registry
from reporting.settings import Settings

DEFINITION = ServiceDefinition(
    name="reporting",
    topic=topics.REPORTING_TOPIC,
    metadata=metadata,
    registry=registry,
    own_topics=topics.own_topics,
    read_topics=topics.READS,
    projections=(
        stream_index(metadata, topics.REPORTING_TOPIC, registry),
        medical_fund.projection(),
        registry_view.projection(),
        liabilities.projection(),
        ledger.projection(),
        disputes.projection(),
        policies.projection(),
    ),
)

SPEC = ServiceSpec(
    definition=DEFINITION,
    settings_cls=Settings,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=routers,
)
