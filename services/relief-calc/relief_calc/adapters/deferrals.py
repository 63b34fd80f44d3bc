"""缓缴 Deferral read model: `pj_deferrals`, fed by relief.events, and its queries.

One row per application: where it stands (status, step, who it waits for), the periods and
insurances applied for and, once approved, deferred. The row keeps the application's events
(`history`) and folds them with the domain's own fold, so the read model cannot drift from the
rules. Commands never read it; single applications are answered from the event store, lists and
the late-fee look-up (:func:`approved_deferrals`) from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.events import Event, Message
from eventkit.projection import Projection
from relief_calc.adapters.tables import metadata
from relief_calc.adapters.topics import RELIEF_TOPIC
from relief_calc.domain.deferral_events import DEFERRAL_EVENTS
from relief_calc.domain.deferral_state import APPROVED, DeferralState, fold
from relief_calc.domain.events import registry

deferrals = sa.Table(
    "pj_deferrals",
    metadata,
    sa.Column("application_id", sa.String(36), primary_key=True),
    sa.Column("credit_code", sa.String(18), nullable=False, index=True),
    sa.Column("region", sa.String(6), nullable=False),
    sa.Column("review_level", sa.String(8), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("step", sa.String(32), nullable=True),
    sa.Column("awaiting", sa.JSON, nullable=False),  # [[department, act], ...]
    sa.Column("first_period", sa.String(7), nullable=False),
    sa.Column("last_period", sa.String(7), nullable=False),
    sa.Column("insurances", sa.JSON, nullable=False),
    sa.Column("approved_first_period", sa.String(7), nullable=True),
    sa.Column("approved_last_period", sa.String(7), nullable=True),
    sa.Column("approved_insurances", sa.JSON, nullable=True),
    sa.Column("due_date", sa.String(10), nullable=True),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("history", sa.JSON, nullable=False),  # [{"type": name, "data": {...}}, ...] in stream order
)
sa.Index("ix_pj_deferrals_status_region", deferrals.c.status, deferrals.c.region)

_CLASSES: dict[str, type[Event]] = {cls.name: cls for cls in DEFERRAL_EVENTS}


def _state(history: Sequence[dict[str, Any]]) -> DeferralState:
    return fold(_CLASSES[item["type"]].model_validate(item["data"]) for item in history)


async def apply(session: AsyncSession, msg: Message) -> None:
    e = msg.event
    if not isinstance(e, DEFERRAL_EVENTS):
        return
    application_id: str = e.application_id
    row = (await session.execute(sa.select(deferrals.c.history).where(deferrals.c.application_id == application_id))).first()
    history = list(row.history) if row is not None else []
    version = msg.envelope.streamversion or len(history) + 1
    if version <= len(history):
        return  # already in the row: converge
    history.append({"type": e.name, "data": e.to_data()})
    state = _state(history)
    if state.applied is None:
        return  # an event ahead of its application cannot happen within one stream; ignore defensively
    decided = state.approved or state.rejected or state.withdrawn
    step = state.step
    values = {
        "credit_code": state.applied.credit_code,
        "region": state.applied.region,
        "review_level": state.applied.review_level,
        "status": state.status,
        "step": step.step if step is not None else None,
        "awaiting": [list(pair) for pair in state.awaiting()],
        "first_period": state.applied.first_period,
        "last_period": state.applied.last_period,
        "insurances": list(state.applied.insurances),
        "approved_first_period": state.approved.first_period if state.approved else None,
        "approved_last_period": state.approved.last_period if state.approved else None,
        "approved_insurances": list(state.approved.insurances) if state.approved else None,
        "due_date": state.approved.due_date if state.approved else None,
        "applied_at": state.applied.at,
        "decided_at": decided.at if decided is not None else None,
        "updated_at": e.at,
        "version": state.version,
        "history": history,
    }
    if row is None:
        await session.execute(sa.insert(deferrals).values(application_id=application_id, **values))
    else:
        await session.execute(sa.update(deferrals).where(deferrals.c.application_id == application_id).values(**values))


def projection() -> Projection:
    return Projection(name="deferrals", topics=(RELIEF_TOPIC,), tables=(deferrals,), handler=apply, registry=registry)


# ---- queries ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ApprovedDeferral:
    """An approved deferral: no late fee accrues on the employer part of ``insurances`` for the fee
    periods ``first_period`` … ``last_period`` (YYYY-MM, inclusive) before ``due_date``."""

    application_id: str
    first_period: str
    last_period: str
    insurances: tuple[str, ...]
    approved_at: datetime
    due_date: date


async def approved_deferrals(session: AsyncSession, credit_code: str) -> list[ApprovedDeferral]:
    """The payer's approved deferrals, by first period (what the late-fee calculation needs)."""
    t = deferrals
    rows = (
        await session.execute(
            sa.select(t)
            .where(t.c.credit_code == credit_code, t.c.status == APPROVED)
            .order_by(t.c.approved_first_period, t.c.application_id)
        )
    ).all()
    return [
        ApprovedDeferral(
            application_id=r.application_id,
            first_period=r.approved_first_period,
            last_period=r.approved_last_period,
            insurances=tuple(r.approved_insurances),
            approved_at=r.decided_at,
            due_date=date.fromisoformat(r.due_date),
        )
        for r in rows
    ]


async def list_deferrals(
    session: AsyncSession,
    *,
    credit_code: str | None = None,
    status: str | None = None,
    step: str | None = None,
    region: str | None = None,
    after: tuple[datetime, str] | None = None,
    limit: int = 50,
) -> Sequence[Any]:
    """Applications matching every filter given, oldest application first, after a page cursor."""
    t = deferrals
    q = sa.select(t).order_by(t.c.applied_at, t.c.application_id).limit(limit)
    for column, value in ((t.c.credit_code, credit_code), (t.c.status, status), (t.c.step, step), (t.c.region, region)):
        if value is not None:
            q = q.where(column == value)
    if after is not None:
        q = q.where(sa.tuple_(t.c.applied_at, t.c.application_id) > sa.tuple_(sa.literal(after[0]), sa.literal(after[1])))
    return (await session.execute(q)).all()
