"""The pipeline health of the platform's services, for the ops dashboard: each service's kernel
endpoint `GET /v1/ops/pipeline` (eventkit.web.ops) polled over HTTP with httpx, all at once, the
caller's bearer token passed on (every service trusts the same identity provider, and the
endpoint admits the roles the dashboard's reader holds). A service that does not answer in time,
refuses, or answers something else is reported as down with why, never as an error of the
dashboard."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class ServiceHealth:
    service: str
    url: str | None  # None: this process (the reporting service itself)
    up: bool
    pipeline: dict[str, Any] | None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"service": self.service, "url": self.url, "up": self.up, "pipeline": self.pipeline, "error": self.error}


async def poll_one(client: httpx.AsyncClient, name: str, url: str, token: str) -> ServiceHealth:
    try:
        response = await client.get(f"{url}/v1/ops/pipeline", headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as exc:
        return ServiceHealth(name, url, False, None, f"{type(exc).__name__}: {exc or 'no detail'}"[:300])
    if response.status_code != 200:
        return ServiceHealth(name, url, False, None, f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        return ServiceHealth(name, url, False, None, "not JSON")
    if not isinstance(body, dict) or "consumer_lag" not in body:
        return ServiceHealth(name, url, False, None, "not a pipeline report")
    return ServiceHealth(name, url, True, body)


async def poll(services: dict[str, str], token: str, timeout_s: float) -> list[ServiceHealth]:
    """Every service's health, in the order given."""
    if not services:
        return []
    async with httpx.AsyncClient(timeout=timeout_s) as client:
        return list(await asyncio.gather(*(poll_one(client, name, url, token) for name, url in services.items())))
