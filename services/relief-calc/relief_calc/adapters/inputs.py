"""The assessor's inputs, projected from the log, and the marks that tell it what to (re)assess.

Projection ``inputs`` reads declaration.events, classification.events and policy.events into
``rc_declarations`` (the current revision per payer-period), ``rc_sizes`` (the size in force per
payer-period) and ``rc_policies`` (every version of every policy). In the same transaction it marks
each payer-period whose inputs changed in ``rc_pending_assessments``; the assessor
(relief_calc.application.assessor) works those marks off. A policy that reaches back marks every
declared payer-period it may touch, under a reassessment job whose progress can be watched.

Construction projects insured per project (declaration.ProjectDeclared / ProjectCorrected) go to
``rc_projects``, with marks of their own for the project assessor (relief_calc.adapters.project_inputs).

The marks are work, not state: a rebuild re-creates the inputs and marks everything again, and the
assessor then finds every liability unchanged and appends nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.db import upsert_insert
from eventkit.events import Message
from eventkit.projection import Projection
from refdata.periods import FeePeriod
from relief_calc.adapters import project_inputs
from relief_calc.adapters import readers as r
from relief_calc.adapters.tables import declarations, jobs, pending, policies, projects, sizes
from relief_calc.adapters.topics import CLASSIFICATION_TOPIC, DECLARATION_TOPIC, POLICY_TOPIC
from relief_calc.domain.assessing import ACTIVE, HELD, REJECTED, VOIDED
from relief_calc.domain.policies import PolicySet
from relief_calc.domain.policy_events import PolicyPublished
from relief_calc.domain.policy_model import Policy, PolicyKind


async def mark(
    session: AsyncSession, keys: Iterable[tuple[str, str]], reason: str, job_id: str | None = None, chunk: int = 1000
) -> int:
    """Mark payer-periods for (re)assessment; a mark already there gets a new generation."""
    rows = [
        {"credit_code": c, "fee_period": p, "generation": 1, "job_id": job_id, "reason": reason, "marked_at": datetime.now(UTC)}
        for c, p in sorted(set(keys))
    ]
    for i in range(0, len(rows), chunk):
        stmt = upsert_insert(session, pending).values(rows[i : i + chunk])
        stmt = stmt.on_conflict_do_update(
            index_elements=["credit_code", "fee_period"],
            set_={
                "generation": pending.c.generation + 1,
                "reason": stmt.excluded.reason,
                "marked_at": stmt.excluded.marked_at,
                "job_id": sa.func.coalesce(stmt.excluded.job_id, pending.c.job_id),
                "last_error": None,
            },
        )
        await session.execute(stmt)
    return len(rows)


async def apply(session: AsyncSession, msg: Message) -> None:
    e = msg.event
    if isinstance(e, r.DeclarationSubmitted | r.DeclarationCorrected):
        await _declared(session, e.declaration, msg.event_id)
    elif isinstance(e, r.DeclarationVoided | r.DeclarationAuditRejected):
        status = VOIDED if isinstance(e, r.DeclarationVoided) else REJECTED
        await _set_status(session, e.credit_code, e.fee_period, e.declaration_id, e.revision, status, msg.event_id)
    elif isinstance(e, r.DeclarationAuditApproved):
        await _set_status(session, e.credit_code, e.fee_period, e.declaration_id, e.revision, ACTIVE, msg.event_id, only=HELD)
    elif isinstance(e, r.ProjectDeclared | r.ProjectCorrected):
        await project_inputs.declared(session, e.project, msg.event_id)
    elif isinstance(e, r.EnterpriseSizeAssigned | r.EnterpriseSizeCorrected):
        await _sized(session, e, msg.event_id)
    elif isinstance(e, PolicyPublished):
        await _published(session, e, msg)


async def _declared(session: AsyncSession, d: r.DeclaredContent, event_id: str) -> None:
    values = {
        "declaration_id": d.declaration_id,
        "revision": d.revision,
        "event_id": event_id,
        "status": HELD if d.audit_hold else ACTIVE,
        "region": d.region,
        "unit_type": d.unit_type,
        "lines": [line.model_dump() for line in d.lines],
    }
    stmt = upsert_insert(session, declarations).values(credit_code=d.credit_code, fee_period=d.fee_period, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["credit_code", "fee_period"], set_=values))
    await mark(session, [(d.credit_code, d.fee_period)], "declaration")


async def _set_status(
    session: AsyncSession,
    credit_code: str,
    fee_period: str,
    declaration_id: str,
    revision: int,
    status: str,
    event_id: str,
    only: str | None = None,
) -> None:
    t = declarations
    where = [t.c.credit_code == credit_code, t.c.fee_period == fee_period, t.c.declaration_id == declaration_id]
    if status == ACTIVE:
        where.append(t.c.revision == revision)  # an approval is for one revision
    if only is not None:
        where.append(t.c.status == only)
    result = await session.execute(sa.update(t).where(*where).values(status=status, event_id=event_id))
    if getattr(result, "rowcount", 0):
        await mark(session, [(credit_code, fee_period)], "audit" if status == ACTIVE else "declaration")


async def _sized(session: AsyncSession, e: r.EnterpriseSizeAssigned | r.EnterpriseSizeCorrected, event_id: str) -> None:
    periods = [str(p) for p in FeePeriod.range(e.periods.first, e.periods.last)]
    corrected = isinstance(e, r.EnterpriseSizeCorrected)
    values = (
        {"corrected_size": e.size, "corrected_event_id": event_id}
        if corrected
        else {"assigned_size": e.size, "assigned_event_id": event_id}
    )
    for period in periods:
        stmt = upsert_insert(session, sizes).values(credit_code=e.credit_code, fee_period=period, **values)
        await session.execute(stmt.on_conflict_do_update(index_elements=["credit_code", "fee_period"], set_=values))
    t = declarations
    declared = await session.execute(
        sa.select(t.c.fee_period).where(t.c.credit_code == e.credit_code, t.c.fee_period.in_(periods))
    )
    await mark(session, [(e.credit_code, p) for (p,) in declared], "size")
    await project_inputs.sized(session, e.credit_code, periods)


async def _published(session: AsyncSession, e: PolicyPublished, msg: Message) -> None:
    policy = Policy.model_validate(e.policy)
    known = await session.scalar(
        sa.select(policies.c.content_hash).where(policies.c.policy_id == e.policy_id, policies.c.published == policy.published)
    )
    if known is not None:
        return  # this version is known already (a copy published by another instance, or a replay)
    # A version that does not fit the known set would stop every assessment: refuse it, so the
    # consumer dead-letters this event and carries on (PolicyDataError names what is wrong).
    PolicySet([*(Policy.model_validate(doc) for (doc,) in await session.execute(sa.select(policies.c.document))), policy])
    stmt = upsert_insert(session, policies).values(
        policy_id=e.policy_id,
        published=date.fromisoformat(e.published),
        content_hash=e.content_hash,
        document=e.policy,
        event_id=msg.event_id,
        recorded_at=msg.envelope.time,
    )
    await session.execute(stmt)
    await project_inputs.published(session, policy)
    if policy.kind is not PolicyKind.RELIEF:
        return  # deferral, late-fee, settlement and project parameters do not change a monthly liability
    windows = [policy.periods]
    if policy.overrides is not None:
        rows = await session.execute(sa.select(policies.c.document).where(policies.c.policy_id == policy.overrides))
        windows += [Policy.model_validate(doc).periods for (doc,) in rows]
    t = declarations
    affected: set[tuple[str, str]] = set()
    for window in windows:
        q = sa.select(t.c.credit_code, t.c.fee_period, t.c.region).where(t.c.fee_period >= str(window.first))
        if window.last is not None:
            q = q.where(t.c.fee_period <= str(window.last))
        affected.update((row.credit_code, row.fee_period) for row in await session.execute(q) if policy.scope.covers(row.region))
    job_id = f"{e.policy_id}@{e.published}"
    await session.execute(
        upsert_insert(session, jobs)
        .values(
            job_id=job_id, policy_id=e.policy_id, content_hash=e.content_hash, total=len(affected), created_at=msg.envelope.time
        )
        .on_conflict_do_nothing()
    )
    await mark(session, affected, "policies", job_id=job_id)


def projection() -> Projection:
    return Projection(
        name="inputs",
        topics=(DECLARATION_TOPIC, CLASSIFICATION_TOPIC, POLICY_TOPIC),
        tables=(declarations, sizes, policies, projects),
        handler=apply,
        registry=r.inputs_registry,
        ignore=r.IGNORED_PREFIXES,
    )
