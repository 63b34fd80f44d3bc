"""What the subscriptions routes share: roles, the keyring, the webhook an agency may see."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request

from eventkit.crypto import Keyring
from eventkit.web.auth import ADMIN, Principal
from eventkit.web.problems import Problem
from subscriptions.adapters import webhooks

AGENCY, OPS = "agency", "ops"
STAFF = (OPS, ADMIN)  # see and manage every agency's webhooks
READERS = (AGENCY, *STAFF)
WebhookId = Annotated[str, Path(pattern=r"^wh_[0-9a-f]{24}$", description="the webhook's id")]


def required_keyring(request: Request) -> Keyring:
    if not hasattr(request.app.state, "subscriptions_keyring"):
        request.app.state.subscriptions_keyring = request.app.state.settings.keyring()
    found: Keyring | None = request.app.state.subscriptions_keyring
    if found is None:
        raise Problem(503, "no data key configured: webhook secrets cannot be sealed (未配置数据密钥)", slug="no-data-key")
    return found


def is_staff(principal: Principal) -> bool:
    return principal.has_any(STAFF)


async def visible_webhook(request: Request, principal: Principal, webhook_id: str) -> dict[str, Any]:
    """The webhook, if the caller may see it (an agency: its own only; others look absent)."""
    async with request.app.state.sessions() as session:
        hook = await webhooks.get(session, webhook_id)
    if hook is None or (not is_staff(principal) and hook["agency"] != principal.sub):
        raise Problem(404, f"webhook {webhook_id} not found", slug="webhook-not-found")
    return hook


def webhook_out(hook: dict[str, Any]) -> dict[str, Any]:
    return {
        "webhook_id": hook["webhook_id"],
        "agency": hook["agency"],
        "url": hook["url"],
        "event_types": list(hook["event_types"]),
        "description": hook["description"],
        "status": hook["status"],
        "registered_by": hook["registered_by"],
        "registered_at": hook["registered_at"],
        "revoked_at": hook["revoked_at"],
    }
