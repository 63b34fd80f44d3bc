"""The reporting service's REST API: the reports (JSON and downloads), the medical table with its
fund figures, and the JSON the ops dashboard reads."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from eventkit.runtime import ServiceRuntime


def routers(_runtime: ServiceRuntime) -> Sequence[APIRouter]:
    from reporting.api import dashboard, medical, reports

    return [reports.router, medical.router, dashboard.router]
