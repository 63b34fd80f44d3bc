"""Refund and dispute progress for the dashboard: refunds by status, open disputes by age."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.adapters.tables import disputes, payers, refunds

REFUND_STATUSES = ("requested", "approving", "approved", "instructed", "accepted", "rejected", "retried", "settled", "converted")
REFUND_STATUS_ZH = {
    "requested": "已申请", "approving": "审批中", "approved": "已审批", "instructed": "已发送银行", "accepted": "银行已受理",
    "rejected": "银行退回", "retried": "重新发送", "settled": "已退付", "converted": "转为抵缴",
}  # fmt: skip
AGE_BUCKETS = ((0, 7, "0-7"), (8, 30, "8-30"), (31, 60, "31-60"), (61, None, "61+"))  # days since filed


def _of_region(table: sa.Table, region: str | None) -> list[sa.ColumnElement[bool]]:
    if region is None:
        return []
    return [table.c.credit_code.in_(sa.select(payers.c.credit_code).where(payers.c.region == region))]


async def refunds_by_status(session: AsyncSession, region: str | None) -> list[dict[str, Any]]:
    t = refunds.c
    q = (
        sa.select(t.status, sa.func.count().label("refunds"), sa.func.coalesce(sa.func.sum(t.amount_fen), 0).label("amount"))
        .where(*_of_region(refunds, region))
        .group_by(t.status)
    )
    found = {r.status: (int(r.refunds), int(r.amount)) for r in await session.execute(q)}
    return [
        {
            "status": s,
            "status_name": REFUND_STATUS_ZH[s],
            "refunds": found.get(s, (0, 0))[0],
            "amount_fen": found.get(s, (0, 0))[1],
        }
        for s in REFUND_STATUSES
    ]


def age_bucket(days: int) -> str:
    for low, high, label in AGE_BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    return AGE_BUCKETS[0][2]


async def disputes_by_age(session: AsyncSession, region: str | None, now: datetime) -> dict[str, Any]:
    rows = (await session.execute(sa.select(disputes).where(*_of_region(disputes, region)))).all()
    buckets: dict[str, dict[str, int]] = {label: {} for _, _, label in AGE_BUCKETS}
    closed: dict[str, int] = {}
    for r in rows:
        if r.closed_at is not None:
            closed[r.status] = closed.get(r.status, 0) + 1
            continue
        filed = r.filed_at if r.filed_at.tzinfo else r.filed_at.replace(tzinfo=now.tzinfo)
        by_status = buckets[age_bucket((now - filed).days)]
        by_status[r.status] = by_status.get(r.status, 0) + 1
    return {
        "open": [{"age_days": label, "disputes": sum(s.values()), "by_status": s} for label, s in buckets.items()],
        "closed": closed,
        "as_of": now.isoformat(),
    }
