"""Commands on construction projects insured per project (工程建设项目按项目参保). Like the
declaration commands, each runs inside the caller's (Idempotency-Key's) transaction: load the
contractor and the project's stream, decide, append."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from declaration.application.commands import Deps, load_payer
from declaration.domain import aggregates as agg
from declaration.domain import projects as pj
from declaration.domain.events import ProjectContent
from declaration.domain.issues import Rejected


async def load_project(session: AsyncSession, deps: Deps, credit_code: str, project_code: str) -> pj.ProjectState:
    stream = pj.project_stream(credit_code, project_code)
    return pj.fold_project(m.event for m in await deps.store.load(session, stream))


async def declare_project(
    session: AsyncSession, deps: Deps, credit_code: str, p: pj.ProjectInput, *, correction_reason: str | None = None
) -> tuple[ProjectContent, bool]:
    """Declare (or, with a reason, correct) a project; returns it as it now stands and whether
    anything was appended."""
    profile = agg.require_payer(await load_payer(session, deps, credit_code), credit_code)
    premium, issues = pj.check_project(p, today=deps.today())
    if issues or premium is None:
        raise Rejected(issues)
    state = await load_project(session, deps, credit_code, p.project_code)
    project = pj.content(profile, p, premium, state.project.revision + 1 if state.project else 1)
    if correction_reason is None:
        events = pj.declare(state, project)
    else:
        events = pj.correct(state, project, correction_reason)
    stream = pj.project_stream(credit_code, p.project_code)
    await deps.store.append(session, stream, state.version, events, subject=credit_code)
    if not events:
        assert state.project is not None
        return state.project, False
    return project, True
