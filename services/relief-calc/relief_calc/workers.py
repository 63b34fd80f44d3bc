"""Background work of the relief-calc service, started with the HTTP app: the shipped policies are
published (idempotent), and the assessors (monthly liabilities, construction projects) work off the
marks the inputs projection leaves."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from eventkit.errors import ConcurrencyError
from eventkit.runtime import ServiceRuntime
from relief_calc.application.assessor import Assessor
from relief_calc.application.policies import policy_files, publish
from relief_calc.application.project_assessor import ProjectAssessor
from relief_calc.domain.events import registry
from relief_calc.domain.policies import default_policy_dir

log = logging.getLogger(__name__)


def policy_dir(configured: str | None) -> Path | None:
    if configured is None:
        return default_policy_dir()
    return Path(configured) if configured else None


async def publish_directory(runtime: ServiceRuntime, directory: Path, by: str = "relief-calc") -> list[dict[str, object]]:
    """Publish every policy file in `directory` (each in its own transaction, in publication order)."""
    out = []
    for name, policy in policy_files(directory):
        for attempt in range(3):
            try:
                async with runtime.sessions() as session, session.begin():
                    result = await publish(session, runtime.store, policy, by=by, source=f"file:{name}")
                break
            except ConcurrencyError:  # another instance published it at the same moment
                if attempt == 2:
                    raise
        out.append({"policy_id": result.policy_id, "published": result.published, "appended": result.appended})
    return out


@asynccontextmanager
async def background(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    directory = policy_dir(settings.policy_dir)
    if directory is not None:
        published = await publish_directory(app.state.runtime, directory)
        log.info("policies from %s: %d new of %d", directory, sum(1 for p in published if p["appended"]), len(published))
    stop = asyncio.Event()
    tasks = []
    if settings.assessor_enabled:
        runtime = app.state.runtime
        assessor = Assessor(runtime.sessions, runtime.store, registry, batch=settings.assessor_batch)
        app.state.assessor = assessor
        app.state.project_assessor = projects = ProjectAssessor(runtime.sessions, runtime.store, policies=assessor.policies)
        tasks.append(asyncio.create_task(assessor.run(stop), name="relief-calc-assessor"))
        tasks.append(asyncio.create_task(projects.run(stop), name="relief-calc-project-assessor"))
    try:
        yield
    finally:
        stop.set()
        for task in tasks:
            await task
