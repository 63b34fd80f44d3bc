"""The ops dashboard page (运行看板): `GET /dashboard` and its assets, served by the reporting
service from its own directory (`reporting/dashboard/`), ECharts from the copy npm installed there
(`reporting/dashboard/node_modules/echarts`, pinned in its package.json; `make` installs it).

The page and its assets are public: they hold no data. The page reads its data from the JSON
endpoints `/v1/dashboard/*` with a bearer token (roles ops or auditor for every panel) that the
user pastes into its login field or passes in the address's fragment, `/dashboard#token=…`
(a fragment never reaches a server or its logs; the page moves it to the tab's sessionStorage
and removes it from the address bar)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, HTMLResponse

from eventkit.web.auth import public
from eventkit.web.problems import Problem

router = APIRouter(tags=["dashboard 看板"], dependencies=[Depends(public())])
DASHBOARD_DIR = Path(__file__).resolve().parents[1] / "dashboard"
ASSETS = {  # what /dashboard/assets/{name} serves: the file and its media type
    "dashboard.js": ("dashboard.js", "text/javascript; charset=utf-8"),
    "panels.js": ("panels.js", "text/javascript; charset=utf-8"),
    "i18n.js": ("i18n.js", "text/javascript; charset=utf-8"),
    "dashboard.css": ("dashboard.css", "text/css; charset=utf-8"),
    "echarts.min.js": ("node_modules/echarts/dist/echarts.min.js", "text/javascript; charset=utf-8"),
}
NO_CACHE = {"Cache-Control": "no-cache"}


@router.get("/dashboard", response_class=HTMLResponse, summary="The ops dashboard (运行看板), in Chinese with an English toggle")
async def dashboard() -> FileResponse:
    return FileResponse(DASHBOARD_DIR / "index.html", media_type="text/html; charset=utf-8", headers=NO_CACHE)


@router.get("/dashboard/assets/{name}", summary="The dashboard's scripts and styles, ECharts included (served locally)")
async def asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise Problem(404, f"no dashboard asset {name!r}", slug="not-found")
    relative, media = ASSETS[name]
    path = DASHBOARD_DIR / relative
    if not path.is_file():
        raise Problem(503, f"{relative} is not installed (run `make venv`, which runs npm install)", slug="asset-missing")
    return FileResponse(path, media_type=media, headers=NO_CACHE)
