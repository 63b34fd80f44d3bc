"""`<service> rebuild`: replay the log into fresh projection tables and print fingerprints; each
projection's last rebuild is kept in es_rebuilds (eventkit.rebuild_record)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from eventkit.consumer import ConsumerRunner
from eventkit.deadletter import DeadLetters
from eventkit.kafka import make_producer
from eventkit.projection import Projection, fingerprint, reset
from eventkit.rebuild_record import RebuildRecord, record_rebuild
from eventkit.runtime import ServiceRuntime


@dataclass(frozen=True)
class RebuildResult:
    projection: str
    events: int
    seconds: float
    fingerprint: str

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


async def rebuild(
    runtime: ServiceRuntime, projections: Sequence[Projection], *, show_progress: bool = True
) -> list[RebuildResult]:
    """Rebuild each projection in turn. The service's consumers must be stopped meanwhile (the
    live consumer and the rebuild would otherwise both feed the same tables)."""
    console = Console(stderr=True)
    producer = make_producer(runtime.bootstrap, client_id=f"{runtime.definition.name}-rebuild")
    await producer.start()
    results = []
    try:
        dead = DeadLetters(service=runtime.definition.name, producer=producer)
        for projection in projections:
            await reset(runtime.sessions, runtime.definition.kernel, projection)
            runner = ConsumerRunner(
                service=runtime.definition.name,
                bootstrap=runtime.bootstrap,
                sessions=runtime.sessions,
                tables=runtime.definition.kernel,
                subscription=projection.subscription(),
                dead_letters=dead,
            )
            started = time.perf_counter()
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]} events/s"),
                TextColumn("{task.fields[left]} left"),
                TimeRemainingColumn(),
                console=console,
                disable=not show_progress,
                transient=False,
            ) as bar:
                task = bar.add_task(projection.name, total=None, rate="0", left="?")

                def advance(n: int, _task: TaskID = task, _bar: Progress = bar, _started: float = started) -> None:
                    _bar.advance(_task, n)
                    done = _bar.tasks[_task].completed
                    total = _bar.tasks[_task].total or done
                    elapsed = max(time.perf_counter() - _started, 1e-6)
                    _bar.update(_task, rate=f"{done / elapsed:,.0f}", left=f"{int(total - done):,}")

                def set_total(total: int, _task: TaskID = task, _bar: Progress = bar) -> None:
                    _bar.update(_task, total=total)

                read, _total = await runner.run_until_end(progress=advance, on_total=set_total)
            seconds = time.perf_counter() - started
            digest = await fingerprint(runtime.sessions, projection.tables)
            results.append(RebuildResult(projection.name, read, seconds, digest))
            record = RebuildRecord(projection.name, digest, read, round(seconds * 1000), datetime.now(UTC))
            await record_rebuild(runtime.sessions, runtime.definition.kernel, record)
    finally:
        await producer.stop()
    return results
