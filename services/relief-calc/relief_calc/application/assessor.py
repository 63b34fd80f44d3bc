"""The assessor: works off the marks in ``rc_pending_assessments`` and appends liability events.

A batch of marks is first assessed at once (relief_calc.application.assessor_batch). Should that
meet a concurrent writer, each marked payer-period is then taken on its own: read the current inputs (declaration, size,
policies), read the liability as last recorded (the stream's last event), ask the domain which
event the inputs call for (relief_calc.domain.assessing.next_event), append it with the stream's
expected version, and delete the mark if no newer mark came meanwhile (its generation). A
concurrent assessor of the same stream gets a concurrency conflict and the mark stays for the
next round. On PostgreSQL, instances share the work with ``FOR UPDATE SKIP LOCKED``.

A payer-period that cannot be assessed (say, a region without parameters for the period) keeps
its mark with the error, is logged and counted, and is retried when its inputs change again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import sqlalchemy as sa
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eventkit.db import is_transient
from eventkit.errors import ConcurrencyError
from eventkit.events import EventRegistry
from eventkit.store import EventStore
from refdata.regions import RegionCatalog
from relief_calc.adapters.input_rows import size_input
from relief_calc.adapters.tables import declarations, kernel, pending, sizes
from relief_calc.application.assessor_batch import assess_batch
from relief_calc.application.policies import PolicyCache
from relief_calc.domain.assessing import DeclarationInput, Recorded, next_event
from relief_calc.domain.liability_events import liability_stream
from relief_calc.domain.policies import PolicySet

log = logging.getLogger(__name__)
ASSESSED = Counter("relief_assessments_total", "Payer-periods assessed, by outcome", ["outcome"])
BACKLOG = Gauge("relief_assessment_backlog", "Payer-periods marked for (re)assessment and not done yet")


class Assessor:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        store: EventStore,
        registry: EventRegistry,
        catalog: RegionCatalog | None = None,
        batch: int = 100,
    ) -> None:
        self.sessions = sessions
        self.store = store
        self.registry = registry
        self.catalog = catalog or RegionCatalog.default()
        self.batch = batch
        self.policies = PolicyCache()

    async def run(self, stop: asyncio.Event, idle_s: float = 0.3) -> None:
        delay = idle_s
        while not stop.is_set():
            try:
                done = await self.run_once()
                delay = idle_s
            except Exception as exc:
                if not is_transient(exc):
                    log.exception("assessor: unexpected error; retrying")
                else:
                    log.warning("assessor: transient fault (%s); retrying in %.1fs", exc, delay)
                done = 0
                delay = min(delay * 2, 10.0)
            if done == 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                except TimeoutError:
                    pass

    async def run_once(self) -> int:
        """Assess one batch of marks; returns how many marks it looked at."""
        async with self.sessions() as session, session.begin():
            policy_set = await self.policies.current(session)
            if policy_set is None:
                return 0  # no policy known yet: nothing can be assessed
            q = sa.select(pending).where(pending.c.last_error.is_(None)).order_by(pending.c.marked_at).limit(self.batch)
            if session.get_bind().dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True)
            marks = list((await session.execute(q)).all())
            try:
                async with session.begin_nested():  # the fast path: the whole batch at once
                    outcomes = await assess_batch(
                        session, marks, policy_set, store=self.store, registry=self.registry, catalog=self.catalog
                    )
                for outcome, n in outcomes.items():
                    ASSESSED.labels(outcome).inc(n)
            except ConcurrencyError:  # another assessor wrote one of the streams: mark by mark
                for row in marks:
                    await self._one(session, row, policy_set)
            BACKLOG.set(await session.scalar(sa.select(sa.func.count()).select_from(pending)) or 0)
        return len(marks)

    async def _one(self, session: AsyncSession, mark: Any, policy_set: PolicySet) -> None:
        where = (
            pending.c.credit_code == mark.credit_code,
            pending.c.fee_period == mark.fee_period,
            pending.c.generation == mark.generation,
        )
        try:
            async with session.begin_nested():
                outcome = await self._assess(session, mark.credit_code, mark.fee_period, policy_set)
                await session.execute(sa.delete(pending).where(*where))
            ASSESSED.labels(outcome).inc()
        except ConcurrencyError:
            ASSESSED.labels("conflict").inc()  # another assessor got there first; the mark stays
        except Exception as exc:
            if is_transient(exc):
                raise
            log.exception("assessor: cannot assess %s %s", mark.credit_code, mark.fee_period)
            ASSESSED.labels("failed").inc()
            await session.execute(sa.update(pending).where(*where).values(last_error=f"{type(exc).__name__}: {exc}"[:2000]))

    async def _assess(self, session: AsyncSession, credit_code: str, fee_period: str, policy_set: PolicySet) -> str:
        d = (
            await session.execute(
                sa.select(declarations).where(declarations.c.credit_code == credit_code, declarations.c.fee_period == fee_period)
            )
        ).first()
        if d is None:
            return "no_declaration"
        s = (
            await session.execute(sa.select(sizes).where(sizes.c.credit_code == credit_code, sizes.c.fee_period == fee_period))
        ).first()
        declaration = DeclarationInput(
            credit_code=credit_code,
            fee_period=fee_period,
            declaration_id=d.declaration_id,
            revision=d.revision,
            event_id=d.event_id,
            status=d.status,
            region=d.region,
            unit_type=d.unit_type,
            lines=tuple(d.lines),
        )
        size = size_input(s)
        stream = liability_stream(credit_code, fee_period)
        recorded = await self.recorded(session, stream)
        event = next_event(recorded, declaration, size, policy_set, self.catalog)
        if event is None:
            return "unchanged"
        await self.store.append(session, stream, recorded.version, [event], subject=credit_code)
        return event.name.split(".")[-1]

    async def recorded(self, session: AsyncSession, stream: str) -> Recorded:
        t = kernel.events
        row = (
            await session.execute(
                sa.select(t.c.stream_version, t.c.event_type, t.c.schema_version, t.c.data)
                .where(t.c.stream_id == stream)
                .order_by(t.c.stream_version.desc())
                .limit(1)
            )
        ).first()
        if row is None:
            return Recorded()
        return Recorded(row.stream_version, self.registry.decode_data(row.event_type, row.schema_version, row.data))
