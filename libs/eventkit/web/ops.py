"""`GET /v1/ops/pipeline` (roles ops, auditor), which every service gets from the kernel: the
health of its event pipeline as JSON, for the reporting service's ops dashboard and for people.

- consumer lag per consumer group: the records between each group's position and the partition
  ends, the values the consumers publish as `eventkit_consumer_lag` (`known` is false until a
  group has its partitions and has measured them);
- outbox backlog: committed events not yet acknowledged by Kafka (the rows of es_outbox, the
  count behind `eventkit_outbox_backlog`, refreshed by this call);
- dead-lettered events per group, `eventkit_events_dead_lettered_total` of this process (a
  Prometheus counter: it counts from the process's start, given as `process_started_at`);
- the last rebuild of each projection (es_rebuilds: fingerprint, events, when), null for a
  projection never rebuilt.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends
from prometheus_client import Counter
from pydantic import BaseModel

from eventkit.metrics import EVENTS_DEAD_LETTERED, OUTBOX_BACKLOG
from eventkit.outbox import outbox_backlog
from eventkit.rebuild_record import last_rebuilds
from eventkit.web.auth import require_roles

if TYPE_CHECKING:
    from eventkit.runtime import ServiceRuntime

OPS, AUDITOR = "ops", "auditor"
_STARTED = datetime.now(UTC)


class GroupLag(BaseModel):
    group: str
    lag: int  # records behind, summed over the partitions this instance holds
    partitions: int
    known: bool


class GroupDeadLetters(BaseModel):
    group: str
    events: int


class LastRebuild(BaseModel):
    projection: str
    fingerprint: str | None
    events: int | None
    milliseconds: int | None
    rebuilt_at: datetime | None


class Pipeline(BaseModel):
    service: str
    version: str
    observed_at: datetime
    process_started_at: datetime
    consumer_lag: int
    consumers: list[GroupLag]
    outbox_backlog: int
    dead_lettered: int
    dead_letters: list[GroupDeadLetters]
    rebuilds: list[LastRebuild]


def dead_lettered_by_group(service: str, counter: Counter = EVENTS_DEAD_LETTERED) -> dict[str, int]:
    """The counter's value per consumer group, for `service` (other services may share the process)."""
    out: dict[str, int] = {}
    for metric in counter.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total") and sample.labels.get("service") == service:
                group = sample.labels["group"]
                out[group] = out.get(group, 0) + int(sample.value)
    return out


async def pipeline_of(runtime: ServiceRuntime, version: str) -> Pipeline:
    name, kernel = runtime.definition.name, runtime.definition.kernel
    consumers = [
        GroupLag(group=c.sub.group, lag=sum(c.lag.values()), partitions=len(c.assigned), known=c.lag_known())
        for c in runtime.consumers
    ]
    async with runtime.sessions() as session:
        backlog = await outbox_backlog(session, kernel)
        records = {r.projection: r for r in await last_rebuilds(session, kernel)}
    OUTBOX_BACKLOG.labels(name).set(backlog)
    dead = dead_lettered_by_group(name)
    rebuilds = []
    for projection in sorted(p.name for p in runtime.definition.projections):
        r = records.get(projection)
        rebuilds.append(
            LastRebuild(
                projection=projection,
                fingerprint=r.fingerprint if r else None,
                events=r.events if r else None,
                milliseconds=r.milliseconds if r else None,
                rebuilt_at=r.rebuilt_at if r else None,
            )
        )
    return Pipeline(
        service=name,
        version=version,
        observed_at=datetime.now(UTC),
        process_started_at=_STARTED,
        consumer_lag=sum(c.lag for c in consumers),
        consumers=sorted(consumers, key=lambda c: c.group),
        outbox_backlog=backlog,
        dead_lettered=sum(dead.values()),
        dead_letters=[GroupDeadLetters(group=g, events=n) for g, n in sorted(dead.items())],
        rebuilds=rebuilds,
    )


def ops_router(runtime: ServiceRuntime, version: str) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get(
        "/v1/ops/pipeline",
        response_model=Pipeline,
        summary="The event pipeline's health: consumer lag, outbox backlog, dead letters, last rebuilds",
        dependencies=[Depends(require_roles(OPS, AUDITOR))],
    )
    async def pipeline() -> Pipeline:
        return await pipeline_of(runtime, version)

    return router
