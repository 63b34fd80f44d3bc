"""The ops dashboard as the reporting service serves it: the page and its assets (ECharts from the
npm install beside it) are public, the pipeline panel's JSON admits ops and auditor only and lists
the reporting service's own pipeline; the collector reports a service that is away, answers an
error or answers something else as down, with why (real HTTP servers, nothing mocked). The page
drawn in a browser is tests/e2e/test_dashboard.py."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from devstack.ports import free_port
from reporting.adapters.pipeline_collector import poll
from reporting.settings import Settings

from .conftest import Service


async def test_the_page_and_its_assets_are_served_without_a_token(service: Service) -> None:
    page = await service.client.get("/dashboard")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "运行看板" in page.text
    scripts = re.findall(r'src="(/dashboard/assets/[^"]+)"', page.text)
    assert scripts[0] == "/dashboard/assets/echarts.min.js" and len(scripts) == 4
    for path in [*scripts, "/dashboard/assets/dashboard.css"]:
        asset = await service.client.get(path)
        assert asset.status_code == 200, path
    echarts = (await service.client.get("/dashboard/assets/echarts.min.js")).text
    pinned = json.loads(_package_json())["dependencies"]["echarts"]
    assert f'"{pinned}"' in echarts  # the version package.json pins is the one served
    missing = await service.client.get("/dashboard/assets/../../settings.py")
    assert missing.status_code == 404
    assert (await service.client.get("/dashboard/assets/package.json")).status_code == 404


def _package_json() -> str:
    from reporting.api.dashboard_page import DASHBOARD_DIR

    return (DASHBOARD_DIR / "package.json").read_text(encoding="utf-8")


async def test_the_pipeline_panel_admits_ops_and_auditor_and_reports_its_own_service(service: Service) -> None:
    get = service.client.get
    assert (await get("/v1/dashboard/pipeline")).status_code == 401
    for role, claims in (("tax_officer", {"region": "320600"}), ("medical_officer", {"region": "320600"}), ("admin", {})):
        assert (await get("/v1/dashboard/pipeline", headers=service.token(role, **claims))).status_code == 403
    assert (await get("/v1/dashboard/pipeline", headers=service.token("auditor"))).status_code == 200
    body = (await get("/v1/dashboard/pipeline", headers=service.token("ops"))).json()
    [own] = body["services"]  # REPORTING_SERVICES is empty here
    assert (own["service"], own["up"], own["url"]) == ("reporting", True, None)
    assert {r["projection"] for r in own["pipeline"]["rebuilds"]} == {
        "stream-index", "medical-fund", "registry", "liabilities", "ledger", "disputes", "policies"
    }  # fmt: skip
    assert own["pipeline"]["outbox_backlog"] == 0 and own["pipeline"]["dead_lettered"] == 0


class _Answers(BaseHTTPRequestHandler):
    """A real HTTP server answering /v1/ops/pipeline with what its path prefix asks for."""

    def do_GET(self) -> None:
        status, body = {"/err": (500, b"{}"), "/html": (200, b"<html>"), "/other": (200, b'{"status": "ok"}')}[
            self.path[: self.path.index("/", 1)]
        ]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def answering() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_a_service_away_or_answering_otherwise_is_down_with_why(answering: str) -> None:
    services = {
        "away": f"http://127.0.0.1:{free_port()}",
        "failing": answering + "/err",
        "html": answering + "/html",
        "other": answering + "/other",
    }
    got = {h.service: h for h in await poll(services, "a-token", timeout_s=5)}
    assert list(got) == list(services)
    assert all(not h.up and h.pipeline is None for h in got.values())
    assert got["away"].error is not None and got["away"].error.startswith("ConnectError")
    assert (got["failing"].error, got["html"].error, got["other"].error) == ("HTTP 500", "not JSON", "not a pipeline report")


def test_the_services_setting_names_each_service_and_its_url() -> None:
    settings = Settings(services=" declaration=http://127.0.0.1:8001 , refund=https://refund.example:8443/ ,")
    assert settings.service_urls() == {"declaration": "http://127.0.0.1:8001", "refund": "https://refund.example:8443"}
    assert Settings().service_urls() == {}
    for bad in ("declaration", "declaration=127.0.0.1:8001", "=http://x"):
        with pytest.raises(ValueError, match="REPORTING_SERVICES"):
            Settings(services=bad).service_urls()
