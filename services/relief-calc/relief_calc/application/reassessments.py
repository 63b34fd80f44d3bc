"""Reassessment jobs: what a policy publication set off, and how far the assessor has got.

A job is created when the inputs projection consumes a relief policy (``rc_reassessment_jobs``),
with the number of declared payer-periods it marked; the marks still carrying its id are what is
left. ``watch`` shows it as a progress bar (``relief-calc reassessments --watch``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from relief_calc.adapters.tables import jobs as jobs_table
from relief_calc.adapters.tables import pending


@dataclass(frozen=True)
class Job:
    job_id: str
    policy_id: str
    total: int
    remaining: int
    failed: int

    @property
    def done(self) -> bool:
        return self.remaining == 0

    def as_json(self) -> dict[str, object]:
        return {
            "job_id": self.job_id,
            "policy_id": self.policy_id,
            "total": self.total,
            "remaining": self.remaining,
            "failed": self.failed,
            "done": self.done,
        }


async def jobs(session: AsyncSession, job_id: str | None = None) -> list[Job]:
    t = jobs_table
    q = sa.select(t).order_by(t.c.created_at, t.c.job_id)
    if job_id is not None:
        q = q.where(t.c.job_id == job_id)
    found = (await session.execute(q)).all()
    counts = {
        row.job_id: (row.remaining, row.failed)
        for row in await session.execute(
            sa.select(
                pending.c.job_id,
                sa.func.count().label("remaining"),
                sa.func.count(pending.c.last_error).label("failed"),
            )
            .where(pending.c.job_id.is_not(None))
            .group_by(pending.c.job_id)
        )
    }
    return [Job(r.job_id, r.policy_id, r.total, *counts.get(r.job_id, (0, 0))) for r in found]


async def watch(
    sessions: async_sessionmaker[AsyncSession], job_id: str | None, *, show_progress: bool, poll_s: float = 0.5
) -> list[Job]:
    """Wait until the job (or every job) is done, with a Rich progress bar; returns the jobs."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    async def read() -> list[Job]:
        async with sessions() as session:
            return await jobs(session, job_id)

    current = await read()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), disable=not show_progress
    ) as bar:
        tasks = {j.job_id: bar.add_task(f"reassessing for {j.job_id}", total=j.total) for j in current}
        while True:
            for j in current:
                if j.job_id not in tasks:
                    tasks[j.job_id] = bar.add_task(f"reassessing for {j.job_id}", total=j.total)
                bar.update(tasks[j.job_id], completed=j.total - j.remaining)
            if all(j.done or j.remaining == j.failed for j in current):
                return current
            await asyncio.sleep(poll_s)
            current = await read()
