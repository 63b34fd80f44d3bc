"""The command line every service shares: `<service> serve | migrate | topics | rebuild | restore |
fingerprint | openapi`. A service's entry point is one call:

    def main() -> int:
        return run_cli(SERVICE)     # SERVICE = ServiceSpec(definition, settings class, migrations dir, routers)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, FastAPI

from eventkit import kafka_security
from eventkit.kafka import ensure_topics
from eventkit.logging import configure_logging
from eventkit.migrations import upgrade
from eventkit.projection import fingerprint
from eventkit.rebuild import rebuild
from eventkit.restore import restore_store
from eventkit.runtime import ServiceDefinition, ServiceRuntime
from eventkit.settings import ServiceSettings
from eventkit.web.app import LifespanHook, create_app, start_stop
from eventkit.web.ops import ops_router

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceSpec:
    definition: ServiceDefinition
    settings_cls: type[ServiceSettings]
    migrations_dir: Path
    routers: Callable[[ServiceRuntime], Sequence[APIRouter]] = field(default=lambda _runtime: ())
    # background work of the service's own (started after the runtime, stopped before it)
    lifespan_hooks: Sequence[LifespanHook] = ()
    # called with the settings before every runtime is built (serve, rebuild, fingerprint, tests):
    # where a projection needs something from the settings (e.g. the data keyring), so that the
    # live consumer and a rebuild derive the same rows
    configure: Callable[[ServiceSettings], None] | None = None

    def settings(self) -> ServiceSettings:
        settings = self.settings_cls()
        settings.ensure_local_dirs()
        return settings


def build_runtime(
    spec: ServiceSpec, settings: ServiceSettings, *, run_relay: bool | None = None, run_consumers: bool | None = None
) -> ServiceRuntime:
    if spec.configure is not None:
        spec.configure(settings)
    kafka_security.configure(settings.kafka_security())
    return ServiceRuntime(
        spec.definition,
        database_url=settings.database_url,
        bootstrap=settings.kafka_bootstrap_servers,
        partitions=settings.topic_partitions,
        replication=settings.topic_replication_factor,
        run_relay=settings.relay_enabled if run_relay is None else run_relay,
        run_consumers=settings.consumer_enabled if run_consumers is None else run_consumers,
    )


def build_app(spec: ServiceSpec, settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or spec.settings()
    runtime = build_runtime(spec, settings)
    app = create_app(
        settings,
        sessions=runtime.sessions,
        readiness_checks=runtime.readiness_checks(),
        lifespan_hooks=[start_stop(runtime.start, runtime.stop), *spec.lifespan_hooks],
        routers=[*spec.routers(runtime), ops_router(runtime, settings.service_version)],
    )
    app.state.runtime = runtime
    return app


def _parser(name: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=name, description=f"The {name} service of the relief platform.")
    sub = p.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP API with its outbox relay and consumers")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    sub.add_parser("migrate", help="bring the database schema to the latest migration")
    sub.add_parser("topics", help="create the service's Kafka topics (idempotent)")
    rb = sub.add_parser("rebuild", help="drop the projections, replay the log, print fingerprints (stop the service first)")
    rb.add_argument("--projection", action="append", help="only this projection (repeatable)")
    rb.add_argument("--no-progress", action="store_true", help="no progress bar")
    sub.add_parser("fingerprint", help="print the projections' fingerprints without rebuilding")
    rs = sub.add_parser(
        "restore", help="disaster recovery: fill a new, migrated database's event store from the service's topics, then rebuild"
    )
    rs.add_argument("--no-progress", action="store_true", help="no progress bar")
    sub.add_parser("openapi", help="print the OpenAPI document")
    return p


def run_cli(spec: ServiceSpec, argv: Sequence[str] | None = None) -> int:
    args = _parser(spec.definition.name).parse_args(argv)
    settings = spec.settings()
    # `serve` logs to stdout like any server; the other commands print their result as JSON on
    # stdout, so their logs go to stderr.
    configure_logging(spec.definition.name, settings.log_level, stream=sys.stdout if args.command == "serve" else sys.stderr)
    if args.command == "serve":
        import uvicorn

        uvicorn.run(build_app(spec, settings), host=args.host, port=args.port, log_config=None, access_log=False)
        return 0
    if args.command == "migrate":
        upgrade(settings.database_url, spec.migrations_dir)
        print(json.dumps({"service": spec.definition.name, "migrated": True}))
        return 0
    if args.command == "openapi":
        print(json.dumps(build_app(spec, settings).openapi(), ensure_ascii=False, indent=2, sort_keys=True))
        return 0
    return asyncio.run(_async_command(spec, settings, args))


async def _async_command(spec: ServiceSpec, settings: ServiceSettings, args: argparse.Namespace) -> int:
    definition = spec.definition
    if args.command == "topics":  # the one command that builds no runtime (which configures it)
        kafka_security.configure(settings.kafka_security())
        specs = definition.topic_specs(settings.topic_partitions, settings.topic_replication_factor)
        await ensure_topics(settings.kafka_bootstrap_servers, specs)
        print(json.dumps({"service": definition.name, "topics": sorted(s.name for s in specs)}))
        return 0
    runtime = build_runtime(spec, settings, run_relay=False, run_consumers=False)
    try:
        projections = list(definition.projections)
        if getattr(args, "projection", None):
            unknown = set(args.projection) - {p.name for p in projections}
            if unknown:
                print(
                    f"unknown projection(s): {', '.join(sorted(unknown))}; known: {[p.name for p in projections]}",
                    file=sys.stderr,
                )
                return 2
            projections = [p for p in projections if p.name in args.projection]
        if args.command == "restore":
            restored = await restore_store(runtime)
            results = await rebuild(runtime, projections, show_progress=not args.no_progress)
            print(
                json.dumps(
                    {
                        "service": definition.name,
                        "restored": [
                            {"topic": r.topic, "events": r.events, "duplicates_skipped": r.duplicates} for r in restored
                        ],
                        "projections": [
                            {"name": r.projection, "events": r.events, "fingerprint": r.fingerprint} for r in results
                        ],
                    }
                )
            )
            return 0
        if args.command == "fingerprint":
            out = {p.name: await fingerprint(runtime.sessions, p.tables) for p in projections}
            print(json.dumps({"service": definition.name, "fingerprints": out}))
            return 0
        results = await rebuild(runtime, projections, show_progress=not args.no_progress)
        print(
            json.dumps(
                {
                    "service": definition.name,
                    "projections": [
                        {
                            "name": r.projection,
                            "events": r.events,
                            "seconds": round(r.seconds, 3),
                            "events_per_s": round(r.events_per_s, 1),
                            "fingerprint": r.fingerprint,
                        }
                        for r in results
                    ],
                }
            )
        )
        return 0
    finally:
        await runtime.engine.dispose()
