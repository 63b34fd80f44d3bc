"""The relief-calc service's REST API."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from eventkit.runtime import ServiceRuntime


def routers(_runtime: ServiceRuntime) -> Sequence[APIRouter]:
    from relief_calc.api import deferrals, liabilities, policies, preview, projects, simulations

    return [preview.router, liabilities.router, projects.router, policies.router, deferrals.router, simulations.router]
