"""The reporting service's REST API: the reports (JSON and downloads), the medical table with its
fund figures, the JSON the ops dashboard reads, and the dashboard page itself."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter

from eventkit.runtime import ServiceRuntime


def routers(_runtime: ServiceRuntime) -> Sequence[APIRouter]:
    from reporting.api import dashboard, dashboard_page, dashboard_pipeline, medical, reports

    return [reports.router, medical.router, dashboard.router, dashboard_pipeline.router, dashboard_page.router]
