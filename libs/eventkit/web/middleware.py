"""Per-request ids, access log, latency metric and the last-resort 500 answer.

Pure ASGI (not BaseHTTPMiddleware) so the context bound here is the one the endpoint, its
dependencies and the events it builds see.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eventkit import context
from eventkit.metrics import HTTP_REQUEST_SECONDS
from eventkit.web.problems import INTERNAL_ERROR, problem_response

REQUEST_ID = "X-Request-ID"
CORRELATION_ID = "X-Correlation-ID"
TRACEPARENT = "traceparent"

# Ids from clients are echoed into logs and headers: accept only short, plain tokens.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")

access_log = logging.getLogger("eventkit.access")
log = logging.getLogger("eventkit.web")


def _safe(value: str | None) -> str | None:
    return value if value is not None and _SAFE_ID.match(value) else None


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/v1/payers/{credit_code}`), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) else "<unmatched>"


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = _safe(headers.get(REQUEST_ID)) or context.new_id()
        correlation_id = _safe(headers.get(CORRELATION_ID)) or request_id
        incoming = headers.get(TRACEPARENT)
        traceparent = context.child_traceparent(incoming if incoming and _TRACEPARENT.match(incoming) else None)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = False

        async def send_with_ids(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                out = MutableHeaders(scope=message)
                out[REQUEST_ID] = request_id
                out[CORRELATION_ID] = correlation_id
                out[TRACEPARENT] = traceparent
            await send(message)

        begun = time.perf_counter()
        with context.bind(request_id=request_id, correlation_id=correlation_id, causation_id=request_id, traceparent=traceparent):
            try:
                await self.app(scope, receive, send_with_ids)
            except Exception as exc:
                log.error("unhandled error", exc_info=exc, extra={"path": scope.get("path")})
                if started:
                    raise
                response = problem_response(Request(scope), INTERNAL_ERROR)
                await response(scope, receive, send_with_ids)
            finally:
                elapsed = time.perf_counter() - begun
                self._record(scope, status, elapsed)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route = route_template(scope)
        method = str(scope.get("method", ""))
        HTTP_REQUEST_SECONDS.labels(self.service, method, route, str(status)).observe(elapsed)
        extra: dict[str, Any] = {
            "method": method,
            "path": scope.get("path"),
            "route": route,
            "status": status,
            "duration_ms": round(elapsed * 1000, 2),
        }
        client = scope.get("client")
        if client:
            extra["client"] = client[0]
        access_log.info("%s %s %s", method, scope.get("path"), status, extra=extra)
