"""The subscriptions service's REST API: webhooks, their delivery log, replays, the event catalog."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from eventkit.runtime import ServiceRuntime


def routers(_runtime: ServiceRuntime) -> Sequence[APIRouter]:
    from subscriptions.api import deliveries, webhooks

    return [webhooks.router, deliveries.router]
