"""The delivery queue (sb_deliveries) and its log (sb_attempts).

A delivery is one event for one webhook; its id is the `webhook-id` header and stays the same on
every retry. Live deliveries have a derived id (webhook, event), so the fan-out queues an event
for a webhook once however often it reads it; a replay's deliveries get ids of their own.
Workers claim due deliveries with a lease (several instances share the queue; a crashed worker's
lease runs out and another takes over: at least once, never lost).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.db import upsert_insert
from subscriptions.adapters.tables import attempts, deliveries

_NAMESPACE = uuid.UUID("3a1f8e2c-5d4b-5c6a-8e9f-776562686f6f")
PENDING, DELIVERED, FAILED, CANCELLED = "pending", "delivered", "failed", "cancelled"


def delivery_id(webhook_id: str, event_id: str, replay_id: str | None = None) -> str:
    return "msg_" + uuid.uuid5(_NAMESPACE, f"{webhook_id}|{event_id}|{replay_id or ''}").hex


async def queue(
    session: AsyncSession,
    *,
    webhook_id: str,
    event_id: str,
    event_type: str,
    body: str,
    now: datetime,
    replay_id: str | None = None,
) -> bool:
    """Queue one delivery, due now; False if it was queued before."""
    result = await session.execute(
        upsert_insert(session, deliveries)
        .values(
            delivery_id=delivery_id(webhook_id, event_id, replay_id), webhook_id=webhook_id, event_id=event_id,
            event_type=event_type, replay_id=replay_id, body=body, status=PENDING, attempts=0, next_attempt_at=now,
            lease_until=None, created_at=now, delivered_at=None, last_status_code=None, last_error=None,
        )
        .on_conflict_do_nothing(index_elements=[deliveries.c.delivery_id])
    )  # fmt: skip
    return bool(result.rowcount)


async def claim(session: AsyncSession, *, now: datetime, batch: int, lease_s: float) -> list[dict[str, Any]]:
    """Take up to `batch` due deliveries under a lease (in the caller's transaction)."""
    d = deliveries
    free = sa.or_(d.c.lease_until.is_(None), d.c.lease_until < now)
    due = sa.and_(d.c.status == PENDING, d.c.next_attempt_at <= now, free)
    rows = (await session.execute(sa.select(d).where(due).order_by(d.c.next_attempt_at, d.c.created_at).limit(batch))).all()
    lease = now + timedelta(seconds=lease_s)
    out = []
    for row in rows:
        taken = await session.execute(sa.update(d).where(d.c.delivery_id == row.delivery_id, due).values(lease_until=lease))
        if taken.rowcount:
            out.append(dict(row._mapping))
    return out


async def record_attempt(
    session: AsyncSession,
    delivery: dict[str, Any],
    *,
    started_at: datetime,
    status_code: int | None,
    latency_ms: int,
    outcome: str,
    error: str | None,
    status: str,
    next_attempt_at: datetime | None,
) -> None:
    number = int(delivery["attempts"]) + 1
    await session.execute(
        sa.insert(attempts).values(
            delivery_id=delivery["delivery_id"], attempt=number, webhook_id=delivery["webhook_id"], started_at=started_at,
            status_code=status_code, latency_ms=latency_ms, outcome=outcome, error=(error or None) and error[:500],
        )
    )  # fmt: skip
    await session.execute(
        sa.update(deliveries)
        .where(deliveries.c.delivery_id == delivery["delivery_id"])
        .values(
            attempts=number, status=status, next_attempt_at=next_attempt_at, lease_until=None,
            delivered_at=started_at if status == DELIVERED else None, last_status_code=status_code,
            last_error=(error or None) and error[:500],
        )
    )  # fmt: skip


async def cancel(session: AsyncSession, delivery_id_: str, reason: str) -> None:
    await session.execute(
        sa.update(deliveries)
        .where(deliveries.c.delivery_id == delivery_id_)
        .values(status=CANCELLED, next_attempt_at=None, lease_until=None, last_error=reason)
    )


async def log(
    session: AsyncSession, webhook_id: str, *, status: str | None, limit: int, delivery: str | None = None
) -> list[dict[str, Any]]:
    """The webhook's deliveries, newest first, each with its attempts (oldest first)."""
    d, a = deliveries, attempts
    q = sa.select(d).where(d.c.webhook_id == webhook_id).order_by(d.c.created_at.desc(), d.c.delivery_id).limit(limit)
    if status is not None:
        q = q.where(d.c.status == status)
    if delivery is not None:
        q = q.where(d.c.delivery_id == delivery)
    rows = [dict(r._mapping) for r in (await session.execute(q)).all()]
    if not rows:
        return []
    tried = (
        await session.execute(sa.select(a).where(a.c.delivery_id.in_([r["delivery_id"] for r in rows])).order_by(a.c.attempt))
    ).all()
    by_delivery: dict[str, list[dict[str, Any]]] = {}
    for t in tried:
        by_delivery.setdefault(t.delivery_id, []).append(dict(t._mapping))
    for r in rows:
        r["attempt_log"] = by_delivery.get(r["delivery_id"], [])
    return rows
