"""Read models of the declaration service, fed by declaration.events: the payer list, the
declaration list (by payer and period, by region and status) and the construction projects (by
contractor). Commands never read them; single
records are answered from the event store, lists from here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from declaration.adapters.tables import declarations, payers, projects
from declaration.adapters.topics import DECLARATION_TOPIC
from declaration.domain import aggregates as agg
from declaration.domain.events import (
    DeclarationAuditApproved,
    DeclarationAuditRejected,
    DeclarationCorrected,
    DeclarationSubmitted,
    DeclarationVoided,
    PayerProfile,
    PayerRegistered,
    PayerSplit,
    PayerUpdated,
    ProjectCorrected,
    ProjectDeclared,
    registry,
)
from eventkit.db import upsert_insert
from eventkit.events import Message
from eventkit.projection import Projection


async def apply(session: AsyncSession, msg: Message) -> None:
    e, at = msg.event, msg.envelope.time
    if isinstance(e, PayerRegistered | PayerUpdated):
        await _upsert_payer(session, e.profile, msg.envelope.streamversion or 0, at)
    elif isinstance(e, PayerSplit):
        current = await session.scalar(sa.select(payers.c.successors).where(payers.c.credit_code == e.credit_code))
        successors = sorted({*(current or []), e.successor})
        await session.execute(
            sa.update(payers)
            .where(payers.c.credit_code == e.credit_code)
            .values(successors=successors, version=msg.envelope.streamversion or 0, updated_at=at)
        )
    elif isinstance(e, DeclarationSubmitted | DeclarationCorrected):
        d = e.declaration
        values = {
            "credit_code": d.credit_code,
            "fee_period": d.fee_period,
            "region": d.region,
            "revision": d.revision,
            "status": agg.HELD if d.audit_hold else agg.SUBMITTED,
            "employer_fen": d.employer_fen,
            "individual_fen": d.individual_fen,
            "headcount": max((line.headcount for line in d.lines), default=0),
            "upload_id": d.upload_id,
            "upload_row": d.upload_row,
            "updated_at": at,
        }
        await _upsert(session, declarations, "declaration_id", d.declaration_id, values)
    elif isinstance(e, DeclarationVoided):
        await _set_status(session, e.declaration_id, agg.VOIDED, at)
    elif isinstance(e, DeclarationAuditApproved):
        await _set_status(session, e.declaration_id, agg.SUBMITTED, at)
    elif isinstance(e, DeclarationAuditRejected):
        await _set_status(session, e.declaration_id, agg.REJECTED, at)
    elif isinstance(e, ProjectDeclared | ProjectCorrected):
        await _upsert_project(session, e, at)


async def _upsert_project(session: AsyncSession, e: ProjectDeclared | ProjectCorrected, at: Any) -> None:
    p = e.project
    values = {
        "name": p.name,
        "region": p.region,
        "started": p.started,
        "planned_months": p.planned_months,
        "premium_fen": p.premium_fen,
        "revision": p.revision,
        "updated_at": at,
    }
    stmt = upsert_insert(session, projects).values(credit_code=p.credit_code, project_code=p.project_code, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["credit_code", "project_code"], set_=values))


async def _upsert_payer(session: AsyncSession, p: PayerProfile, version: int, at: Any) -> None:
    successors = await session.scalar(sa.select(payers.c.successors).where(payers.c.credit_code == p.credit_code))
    await _upsert(
        session,
        payers,
        "credit_code",
        p.credit_code,
        {
            "name": p.name,
            "unit_type": p.unit_type,
            "region": p.region,
            "industry_section": p.industry_section,
            "predecessor": p.predecessor,
            "successors": successors or [],
            "bank_account_masked": p.bank_account.masked if p.bank_account else None,
            "version": version,
            "updated_at": at,
        },
    )


async def _upsert(session: AsyncSession, table: sa.Table, key: str, key_value: str, values: dict[str, Any]) -> None:
    exists = await session.scalar(sa.select(sa.func.count()).select_from(table).where(table.c[key] == key_value))
    if exists:
        await session.execute(sa.update(table).where(table.c[key] == key_value).values(**values))
    else:
        await session.execute(sa.insert(table).values(**{key: key_value}, **values))


async def _set_status(session: AsyncSession, declaration_id: str, status: str, at: Any) -> None:
    await session.execute(
        sa.update(declarations).where(declarations.c.declaration_id == declaration_id).values(status=status, updated_at=at)
    )


def projection() -> Projection:
    return Projection(
        name="declarations",
        topics=(DECLARATION_TOPIC,),
        tables=(payers, declarations, projects),
        handler=apply,
        registry=registry,
    )


# ---- queries ------------------------------------------------------------------------------------
async def declarations_of(
    session: AsyncSession, credit_code: str, period_from: str | None, period_to: str | None, after: str | None, limit: int
) -> Sequence[Any]:
    t = declarations
    q = sa.select(t).where(t.c.credit_code == credit_code)
    if period_from:
        q = q.where(t.c.fee_period >= period_from)
    if period_to:
        q = q.where(t.c.fee_period <= period_to)
    if after:
        q = q.where(t.c.fee_period > after)
    return (await session.execute(q.order_by(t.c.fee_period).limit(limit))).all()


async def projects_of(session: AsyncSession, credit_code: str) -> Sequence[Any]:
    t = projects
    return (
        await session.execute(sa.select(t).where(t.c.credit_code == credit_code).order_by(t.c.started, t.c.project_code))
    ).all()
