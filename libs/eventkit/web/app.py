"""The FastAPI application every service starts from.

    app = create_app(
        settings,
        sessions=make_sessionmaker(engine),
        readiness_checks=[kafka_check, consumer_lag_check],
        lifespan_hooks=[start_stop(relay.start, relay.stop)],
        routers=[declarations.router],
    )

gives: problem+json errors, request/correlation ids and traceparent bound into eventkit.context,
JSON access logs, the latency histogram, `/healthz`, `/readyz`, `/metrics`, `/openapi.json` and
`/docs`, bearer-token auth from the settings' public key, and a refusal to build (or start) when
a route declares neither `require_roles(...)` nor `public()`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eventkit.settings import ServiceSettings
from eventkit.web.auth import Authenticator, assert_all_routes_declared, public
from eventkit.web.middleware import RequestContextMiddleware
from eventkit.web.openapi import install_access_in_openapi
from eventkit.web.problems import Problem, install_problem_handlers, problem_response

ReadinessCheck = Callable[[], Awaitable[tuple[str, bool, str]]]
LifespanHook = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def start_stop(
    start: Callable[[], Awaitable[Any]] | None = None, stop: Callable[[], Awaitable[Any]] | None = None
) -> LifespanHook:
    """A lifespan hook from a start and a stop coroutine function (stop runs even if a later
    hook's start fails; hooks stop in reverse order)."""

    @asynccontextmanager
    async def hook(_app: FastAPI) -> AsyncIterator[None]:
        if start is not None:
            await start()
        try:
            yield
        finally:
            if stop is not None:
                await stop()

    return hook


def database_check(sessions: async_sessionmaker[AsyncSession], name: str = "database") -> ReadinessCheck:
    async def check() -> tuple[str, bool, str]:
        async with sessions() as session:
            await session.execute(sa.text("select 1"))
        return name, True, "select 1 ok"

    return check


async def _run_check(check: ReadinessCheck, timeout_s: float) -> dict[str, Any]:
    name = getattr(check, "__name__", "check")
    try:
        name, ok, detail = await asyncio.wait_for(check(), timeout_s)
    except TimeoutError:
        ok, detail = False, f"no answer within {timeout_s:g}s"
    except Exception as exc:
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    return {"name": name, "ok": ok, "detail": detail}


def _install_operational_routes(app: FastAPI, checks: Sequence[ReadinessCheck], timeout_s: float) -> None:
    router = APIRouter(dependencies=[Depends(public())], tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: database, broker and consumers are usable")
    async def readyz(request: Request) -> Response:
        results = await asyncio.gather(*(_run_check(c, timeout_s) for c in checks))
        if all(r["ok"] for r in results):
            return JSONResponse({"status": "ok", "checks": results})
        failing = ", ".join(r["name"] for r in results if not r["ok"])
        problem = Problem(503, f"not ready: {failing}", slug="not-ready", extensions={"checks": results})
        return problem_response(request, problem)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @router.get("/openapi.json", include_in_schema=False)
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @router.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} API")

    app.include_router(router)


def create_app(
    settings: ServiceSettings,
    *,
    sessions: async_sessionmaker[AsyncSession],
    readiness_checks: Sequence[ReadinessCheck] = (),
    lifespan_hooks: Sequence[LifespanHook] = (),
    routers: Sequence[APIRouter] = (),
    authenticator: Authenticator | None = None,
    check_database: bool = True,
    readiness_timeout_s: float = 3.0,
) -> FastAPI:
    """Build a service's app (see the module docstring). `authenticator` defaults to one built
    from the settings' public key; without either, guarded routes answer 503."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        assert_all_routes_declared(app)  # routes may have been added after create_app
        async with AsyncExitStack() as stack:
            for hook in lifespan_hooks:
                await stack.enter_async_context(hook(app))
            yield

    app = FastAPI(
        title=settings.service_name,
        version=settings.service_version,
        openapi_url=None,  # served by our own public() route, see _install_operational_routes
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.authenticator = authenticator or Authenticator.from_settings(settings)
    app.state.idempotency_lease_s = settings.idempotency_lease_s
    install_problem_handlers(app)
    app.add_middleware(RequestContextMiddleware, service=settings.service_name)
    checks = [database_check(sessions), *readiness_checks] if check_database else list(readiness_checks)
    _install_operational_routes(app, checks, readiness_timeout_s)
    for router in routers:
        app.include_router(router)
    assert_all_routes_declared(app)
    install_access_in_openapi(app)
    return app
