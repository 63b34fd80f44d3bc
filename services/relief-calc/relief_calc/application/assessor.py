"""The assessor: works off the marks in ``rc_pending_assessments`` and appends liability events.

For each marked payer-period: read the current inputs (declaration, size, policies) and the
liability as last recorded (the stream's last event), ask the domain which event the inputs call
for (relief_calc.domain.assessing.next_event), append it with the stream's expected version, and
delete the mark if no newer mark came meanwhile (its generation). A batch of marks is first taken
at once (relief_calc.application.assessor_batch); should that meet a concurrent writer, the same
code takes each mark in its own savepoint, and a mark whose stream another assessor wrote stays
for the next round. On PostgreSQL, instances share the work with ``FOR UPDATE SKIP LOCKED``.

A payer-period that cannot be assessed (say, a region without parameters for the period) keeps
its mark with the error, is logged and counted, and is retried when its inputs change again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import sqlalchemy as sa
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eventkit.db import is_transient
from eventkit.errors import ConcurrencyError
from eventkit.events import EventRegistry
from eventkit.store import EventStore
from eventkit.workers import run_rounds
from refdata.regions import RegionCatalog
from relief_calc.adapters.tables import pending
from relief_calc.application.assessor_batch import assess_batch
from relief_calc.application.policies import PolicyCache
from relief_calc.domain.policies import PolicySet

log = logging.getLogger(__name__)
ASSESSED = Counter("relief_assessments_total", "Payer-periods assessed, by outcome", ["outcome"])
BACKLOG_EVERY_S = 5.0
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
        self._backlog_at = float("-inf")

    async def run(self, stop: asyncio.Event, idle_s: float = 0.3) -> None:
        await run_rounds(self.run_once, stop, idle_s=idle_s, name="assessor")

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
            await self._report_backlog(session)
        return len(marks)

    async def _one(self, session: AsyncSession, mark: Any, policy_set: PolicySet) -> None:
        """The careful path: one mark in its own savepoint, through the same batch code."""
        try:
            async with session.begin_nested():
                outcomes = await assess_batch(
                    session, [mark], policy_set, store=self.store, registry=self.registry, catalog=self.catalog
                )
            for outcome, n in outcomes.items():
                ASSESSED.labels(outcome).inc(n)
        except ConcurrencyError:
            ASSESSED.labels("conflict").inc()  # another assessor got there first; the mark stays
        except Exception as exc:
            if is_transient(exc):
                raise
            log.exception("assessor: cannot assess %s %s", mark.credit_code, mark.fee_period)
            ASSESSED.labels("failed").inc()
            where = (
                pending.c.credit_code == mark.credit_code,
                pending.c.fee_period == mark.fee_period,
                pending.c.generation == mark.generation,
            )
            await session.execute(sa.update(pending).where(*where).values(last_error=f"{type(exc).__name__}: {exc}"[:2000]))

    async def _report_backlog(self, session: AsyncSession) -> None:
        """The backlog gauge, counted at most every few seconds (a count is a scan of the marks)."""
        now = time.monotonic()
        if now - self._backlog_at >= BACKLOG_EVERY_S:
            self._backlog_at = now
            BACKLOG.set(await session.scalar(sa.select(sa.func.count()).select_from(pending)) or 0)
