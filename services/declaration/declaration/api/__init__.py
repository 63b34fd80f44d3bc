"""The declaration service's REST API (routers are added by the features that need them)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from eventkit.runtime import ServiceRuntime


def routers(_runtime: ServiceRuntime) -> Sequence[APIRouter]:
    from declaration.api import declarations, payers, projects, uploads

    return [payers.router, declarations.router, projects.router, uploads.router]
