"""The delivery log over REST: each delivery of a webhook with its attempts (time, status code,
latency, outcome), newest first."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from eventkit.web.auth import Principal, require_roles
from eventkit.web.problems import Problem
from subscriptions.adapters import deliveries
from subscriptions.api.deps import READERS, WebhookId, visible_webhook

router = APIRouter(tags=["deliveries 推送记录"])
DeliveryId = Annotated[str, Path(pattern=r"^msg_[0-9a-f]{32}$")]


def delivery_out(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "delivery_id": row["delivery_id"],
        "event_id": row["event_id"],
        "event_type": row["event_type"],
        "replay_id": row["replay_id"],
        "status": row["status"],
        "attempts": row["attempts"],
        "next_attempt_at": row["next_attempt_at"],
        "created_at": row["created_at"],
        "delivered_at": row["delivered_at"],
        "last_status_code": row["last_status_code"],
        "last_error": row["last_error"],
        "attempt_log": [
            {k: a[k] for k in ("attempt", "started_at", "status_code", "latency_ms", "outcome", "error")}
            for a in row["attempt_log"]
        ],
    }


@router.get("/v1/webhooks/{webhook_id}/deliveries")
async def delivery_log(
    webhook_id: WebhookId,
    request: Request,
    status: Literal["pending", "delivered", "failed", "cancelled"] | None = Query(default=None),
    limit: int = Query(default=100, ge=1, le=1000),
    principal: Principal = Depends(require_roles(*READERS)),
) -> dict[str, Any]:
    await visible_webhook(request, principal, webhook_id)
    async with request.app.state.sessions() as session:
        rows = await deliveries.log(session, webhook_id, status=status, limit=limit)
    return {"deliveries": [delivery_out(r) for r in rows]}


@router.get("/v1/webhooks/{webhook_id}/deliveries/{delivery_id}")
async def one_delivery(
    webhook_id: WebhookId, delivery_id: DeliveryId, request: Request, principal: Principal = Depends(require_roles(*READERS))
) -> dict[str, Any]:
    await visible_webhook(request, principal, webhook_id)
    async with request.app.state.sessions() as session:
        rows = await deliveries.log(session, webhook_id, status=None, limit=1, delivery=delivery_id)
    if not rows:
        raise Problem(404, f"delivery {delivery_id} not found", slug="delivery-not-found")
    return delivery_out(rows[0])
