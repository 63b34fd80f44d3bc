"""The classification service's REST API."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from eventkit.runtime import ServiceRuntime


def routers(_runtime: ServiceRuntime) -> Sequence[APIRouter]:
    from classification.api import abuse, disputes, imports, sizes, standard

    return [standard.router, imports.router, sizes.router, disputes.router, abuse.router]
