"""Webhooks over REST: register (the secret is shown once), list, look at, revoke, replay.

An `agency` manages its own webhooks (the token's `sub` is the agency); `ops` and `admin` see
every agency's, and `admin` may register or revoke for an agency. The callback URL is refused
(422 naming `body.url`) when it is not https or resolves to a non-public address, unless the
service is configured to allow private callbacks (development, tests).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from eventkit.crypto import Keyring
from eventkit.web.auth import ADMIN, Principal, require_roles
from eventkit.web.problems import FieldError, Problem
from subscriptions.adapters import webhooks
from subscriptions.adapters.resolver import checked
from subscriptions.api.deps import AGENCY, READERS, WebhookId, is_staff, required_keyring, visible_webhook, webhook_out
from subscriptions.application import commands
from subscriptions.domain.addresses import CallbackRefused
from subscriptions.domain.events import CATALOG, DESCRIPTIONS

router = APIRouter(tags=["webhooks 订阅推送"])


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=2000, description="the callback URL (https, public address)")
    event_types: list[str] = Field(min_length=1, description="CloudEvents types from GET /v1/event-types")
    description: str = Field(default="", max_length=500)
    agency: str | None = Field(default=None, max_length=200, description="admin only: the agency to register for")


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: datetime = Field(description="re-deliver the chosen events published at or after this time (RFC 3339)")


@router.get("/v1/event-types", dependencies=[Depends(require_roles(*READERS))])
async def event_types() -> dict[str, Any]:
    """The public integration events a webhook can choose, with their topics."""
    return {"event_types": [{"type": t, "topic": CATALOG[t], "description": DESCRIPTIONS[t]} for t in sorted(CATALOG)]}


async def _check_body(request: Request, body: WebhookIn) -> None:
    unknown = sorted(set(body.event_types) - set(CATALOG))
    if unknown or len(set(body.event_types)) != len(body.event_types):
        reason = f"unknown event types: {', '.join(unknown)}" if unknown else "event types are listed twice"
        raise Problem(
            422,
            reason,
            slug="validation-failed",
            errors=[FieldError("body.event_types", reason, "未知或重复的事件类型", "unknown-event-type")],
        )
    settings = request.app.state.settings
    try:
        await checked(body.url, allow_private=settings.allow_private_callbacks, require_https=settings.require_https)
    except CallbackRefused as exc:
        raise Problem(
            422, f"callback URL refused: {exc.reason}", slug="callback-refused",
            errors=[FieldError("body.url", exc.reason, "回调地址须为公网 https 地址", "callback-refused")],
        ) from exc  # fmt: skip


@router.post("/v1/webhooks", status_code=201)
async def register(
    body: WebhookIn,
    request: Request,
    principal: Principal = Depends(require_roles(AGENCY, ADMIN)),
    keyring: Keyring = Depends(required_keyring),
) -> dict[str, Any]:
    """Register a webhook; the answer holds its signing secret (`whsec_…`), shown this once."""
    if body.agency is not None and not principal.has_any((ADMIN,)):
        raise Problem(403, "only an admin registers for another agency", slug="forbidden")
    await _check_body(request, body)
    session: AsyncSession
    async with request.app.state.sessions() as session, session.begin():
        made = await commands.register(
            session, request.app.state.runtime.store, keyring, agency=body.agency or principal.sub, url=body.url,
            event_types=body.event_types, description=body.description, by=principal.sub,
        )  # fmt: skip
    return {**webhook_out(made.webhook), "secret": made.secret}


@router.get("/v1/webhooks")
async def list_webhooks(request: Request, principal: Principal = Depends(require_roles(*READERS))) -> dict[str, Any]:
    async with request.app.state.sessions() as session:
        rows = await webhooks.listing(session, None if is_staff(principal) else principal.sub)
    return {"webhooks": [webhook_out(r) for r in rows]}


@router.get("/v1/webhooks/{webhook_id}")
async def get_webhook(
    webhook_id: WebhookId, request: Request, principal: Principal = Depends(require_roles(*READERS))
) -> dict[str, Any]:
    return webhook_out(await visible_webhook(request, principal, webhook_id))


@router.delete("/v1/webhooks/{webhook_id}")
async def revoke(
    webhook_id: WebhookId, request: Request, principal: Principal = Depends(require_roles(AGENCY, ADMIN))
) -> dict[str, Any]:
    """Revoke: nothing more is delivered (pending deliveries are cancelled when their turn comes)."""
    hook = await visible_webhook(request, principal, webhook_id)
    if hook["status"] == "active":
        async with request.app.state.sessions() as session, session.begin():
            await commands.revoke(session, request.app.state.runtime.store, hook, by=principal.sub)
    return webhook_out(await visible_webhook(request, principal, webhook_id))


@router.post("/v1/webhooks/{webhook_id}/replays", status_code=202)
async def replay(
    webhook_id: WebhookId, body: ReplayIn, request: Request, principal: Principal = Depends(require_roles(AGENCY, ADMIN))
) -> dict[str, Any]:
    """Re-deliver the webhook's chosen events published since `since`, each as a new delivery (a
    new `webhook-id`; the event's own `id` in the body stays the same)."""
    if body.since.tzinfo is None:
        raise Problem(422, "since needs a timezone", slug="validation-failed", errors=[FieldError("body.since", "no timezone")])
    hook = await visible_webhook(request, principal, webhook_id)
    if hook["status"] != "active":
        raise Problem(409, f"webhook {webhook_id} is revoked", slug="webhook-revoked")
    async with request.app.state.sessions() as session, session.begin():
        return await commands.replay(session, request.app.state.runtime.store, hook, since=body.since, by=principal.sub)
