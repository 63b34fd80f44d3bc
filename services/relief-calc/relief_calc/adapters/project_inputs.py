"""The project assessor's inputs and marks, kept by the ``inputs`` projection (relief_calc.adapters.inputs).

``rc_projects`` holds the current revision of every construction project insured per project
(declaration.ProjectDeclared / ProjectCorrected); ``rc_pending_project_assessments`` marks the
projects whose inputs changed, in the same transaction as the change: the project itself, a size
of its contractor reaching the project's first fee period, or a relief or construction-project
policy covering its region. The project assessor (relief_calc.application.project_assessor) works
them off. Like the monthly marks they are work, not state: a rebuild marks every project again
and the assessor finds every liability unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.db import upsert_insert
from refdata.periods import FeePeriod
from relief_calc.adapters import readers as r
from relief_calc.adapters.tables import pending_projects, projects
from relief_calc.domain.policy_model import Policy, PolicyKind

MARKING_KINDS = (PolicyKind.RELIEF, PolicyKind.CONSTRUCTION_PROJECT)


async def mark_projects(session: AsyncSession, keys: Iterable[tuple[str, str]], reason: str, chunk: int = 1000) -> int:
    """Mark projects for (re)assessment, `chunk` rows a statement (as inputs.mark: within SQLite's
    limit of bound values however many projects a policy reaches)."""
    rows = [
        {"credit_code": c, "project_code": p, "generation": 1, "reason": reason, "marked_at": datetime.now(UTC)}
        for c, p in sorted(set(keys))
    ]
    for i in range(0, len(rows), chunk):
        stmt = upsert_insert(session, pending_projects).values(rows[i : i + chunk])
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["credit_code", "project_code"],
                set_={
                    "generation": pending_projects.c.generation + 1,
                    "reason": stmt.excluded.reason,
                    "marked_at": stmt.excluded.marked_at,
                    "last_error": None,
                },
            )
        )
    return len(rows)


async def declared(session: AsyncSession, p: r.DeclaredProject, event_id: str) -> None:
    values = {
        "project_id": p.project_id,
        "revision": p.revision,
        "event_id": event_id,
        "region": p.region,
        "unit_type": p.unit_type,
        "started": p.started,
        "first_period": str(FeePeriod.from_date(date.fromisoformat(p.started))),
        "planned_months": p.planned_months,
        "premium_fen": p.premium_fen,
    }
    stmt = upsert_insert(session, projects).values(credit_code=p.credit_code, project_code=p.project_code, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["credit_code", "project_code"], set_=values))
    await mark_projects(session, [(p.credit_code, p.project_code)], "project")


async def sized(session: AsyncSession, credit_code: str, periods: list[str]) -> None:
    """A size of the contractor for ``periods``: the projects that started in one of them."""
    t = projects
    rows = await session.execute(sa.select(t.c.project_code).where(t.c.credit_code == credit_code, t.c.first_period.in_(periods)))
    await mark_projects(session, [(credit_code, code) for (code,) in rows], "size")


async def published(session: AsyncSession, policy: Policy) -> None:
    """A relief or construction-project policy: every project of a region it covers (projects are
    few, and a relief window reaches over a project's planned months, not only its first)."""
    if policy.kind not in MARKING_KINDS:
        return
    t = projects
    rows = await session.execute(sa.select(t.c.credit_code, t.c.project_code, t.c.region))
    await mark_projects(session, [(x.credit_code, x.project_code) for x in rows if policy.scope.covers(x.region)], "policies")
