"""The project assessor: works off ``rc_pending_project_assessments`` and appends project liability
events (relief_calc.domain.project_assessing), the way the monthly assessor works off its marks.

For each mark, in its own savepoint: read the project's current revision, the contractor's size in
force for the project's first fee period and the liability as last recorded (its stream), ask the
domain which event the inputs call for, append it at the stream's expected version, and delete the
mark unless a newer one came meanwhile (its generation). A concurrent writer leaves the mark for
the next round; a project the domain cannot assess keeps its mark with the error until its inputs
change again. On PostgreSQL, instances share the work with ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import sqlalchemy as sa
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eventkit.db import is_transient
from eventkit.errors import ConcurrencyError
from eventkit.store import EventStore
from eventkit.workers import run_rounds
from relief_calc.adapters.input_rows import size_input
from relief_calc.adapters.tables import pending_projects, projects, sizes
from relief_calc.application.policies import PolicyCache
from relief_calc.domain.policies import PolicySet
from relief_calc.domain.project_assessing import ProjectInput, RecordedProject, next_project_event
from relief_calc.domain.project_liability_events import project_liability_stream

log = logging.getLogger(__name__)
ASSESSED = Counter("relief_project_assessments_total", "Construction projects assessed, by outcome", ["outcome"])


def project_input(row: Any) -> ProjectInput:
    return ProjectInput(
        credit_code=row.credit_code, project_code=row.project_code, project_id=row.project_id, revision=row.revision,
        event_id=row.event_id, region=row.region, unit_type=row.unit_type, started=row.started,
        planned_months=row.planned_months, premium_fen=int(row.premium_fen),
    )  # fmt: skip


class ProjectAssessor:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        store: EventStore,
        batch: int = 50,
        policies: PolicyCache | None = None,
    ) -> None:
        self.sessions = sessions
        self.store = store
        self.batch = batch
        self.policies = policies or PolicyCache()  # the monthly assessor's, in the service

    async def run(self, stop: asyncio.Event, idle_s: float = 0.3) -> None:
        await run_rounds(self.run_once, stop, idle_s=idle_s, name="project-assessor")

    async def run_once(self) -> int:
        """Assess one batch of marks; returns how many marks it looked at."""
        async with self.sessions() as session, session.begin():
            t = pending_projects
            q = sa.select(t).where(t.c.last_error.is_(None)).order_by(t.c.marked_at).limit(self.batch)
            if session.get_bind().dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True)
            marks = list((await session.execute(q)).all())
            if not marks:  # idle: no need to look at the policies
                return 0
            policy_set = await self.policies.current(session)
            if policy_set is None:
                return 0
            for mark in marks:
                await self._one(session, mark, policy_set)
        return len(marks)

    async def _one(self, session: AsyncSession, mark: Any, policy_set: PolicySet) -> None:
        t = pending_projects
        this = (t.c.credit_code == mark.credit_code, t.c.project_code == mark.project_code, t.c.generation == mark.generation)
        try:
            async with session.begin_nested():
                outcome = await self._assess(session, mark.credit_code, mark.project_code, policy_set)
                await session.execute(sa.delete(t).where(*this))
            ASSESSED.labels(outcome).inc()
        except ConcurrencyError:
            ASSESSED.labels("conflict").inc()  # another assessor wrote the stream; the mark stays
        except Exception as exc:
            if is_transient(exc):
                raise
            log.exception("project assessor: cannot assess %s %s", mark.credit_code, mark.project_code)
            ASSESSED.labels("failed").inc()
            await session.execute(sa.update(t).where(*this).values(last_error=f"{type(exc).__name__}: {exc}"[:2000]))

    async def _assess(self, session: AsyncSession, credit_code: str, project_code: str, policy_set: PolicySet) -> str:
        row = (
            await session.execute(
                sa.select(projects).where(projects.c.credit_code == credit_code, projects.c.project_code == project_code)
            )
        ).first()
        if row is None:
            return "no_project"
        size_row = (
            await session.execute(
                sa.select(sizes).where(sizes.c.credit_code == credit_code, sizes.c.fee_period == row.first_period)
            )
        ).first()
        stream = project_liability_stream(credit_code, project_code)
        history = await self.store.load(session, stream)
        recorded = RecordedProject(len(history), history[-1].event if history else None)
        event = next_project_event(recorded, project_input(row), size_input(size_row), policy_set)
        if event is None:
            return "unchanged"
        await self.store.append(session, stream, recorded.version, [event], subject=credit_code)
        return event.name.split(".")[-1]
