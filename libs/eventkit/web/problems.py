"""RFC 9457 problem details (`application/problem+json`) for every error a service answers.

Body: `type` (`urn:relief:problem:<slug>`), `title`, `status`, `detail`, `instance` (the request
path), `request_id`, and the extension `errors: [{field, reason}]` (empty when not about fields).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from eventkit import context
from eventkit.errors import ConcurrencyError

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:relief:problem:"

log = logging.getLogger("eventkit.web")

_SLUG_BY_STATUS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-failed",
    429: "too-many-requests",
    500: "internal-error",
    503: "service-unavailable",
}


@dataclass(frozen=True)
class FieldError:
    """One offending field: its path, the reason in English and, for the bureau's frontends,
    in Chinese (`reason_zh`), with a stable machine-readable `code`."""

    field: str
    reason: str
    reason_zh: str | None = None
    code: str | None = None

    def as_dict(self) -> dict[str, str]:
        out = {"field": self.field, "reason": self.reason}
        if self.reason_zh is not None:
            out["reason_zh"] = self.reason_zh
        if self.code is not None:
            out["code"] = self.code
        return out


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def slug_for(status: int) -> str:
    return _SLUG_BY_STATUS.get(status, "client-error" if status < 500 else "server-error")


class Problem(Exception):
    """Raise anywhere in a request to answer with a problem document.

    `Problem(404, "payer 9132... is not registered", slug="payer-not-found")`
    """

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        slug: str | None = None,
        title: str | None = None,
        errors: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or _title(status))
        self.status = status
        self.detail = detail
        self.slug = slug or slug_for(status)
        self.title = title or _title(status)
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self.extensions = dict(extensions or {})

    @property
    def type(self) -> str:
        return TYPE_PREFIX + self.slug

    def body(self, instance: str | None, request_id: str | None) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail or self.title,
            "instance": instance,
            "request_id": request_id,
            "errors": [e.as_dict() for e in self.errors],
        }
        for key, value in self.extensions.items():
            doc.setdefault(key, value)
        return doc


def request_id_of(request: Request) -> str | None:
    """The request id the middleware assigned (context first, then the ASGI scope)."""
    rid = context.current().request_id
    if rid:
        return rid
    state = request.scope.get("state") or {}
    value = state.get("request_id") if isinstance(state, dict) else None
    return value if isinstance(value, str) else None


def problem_response(request: Request, problem: Problem) -> JSONResponse:
    body = problem.body(instance=request.url.path, request_id=request_id_of(request))
    return JSONResponse(body, status_code=problem.status, headers=problem.headers, media_type=PROBLEM_JSON)


def field_path(loc: Sequence[int | str]) -> str:
    """`("body", "lines", 0, "base_fen")` -> `body.lines.0.base_fen`."""
    return ".".join(str(part) for part in loc) or "body"


def problem_from_validation(exc: RequestValidationError) -> Problem:
    errors = [FieldError(field_path(e.get("loc", ())), str(e.get("msg", "invalid"))) for e in exc.errors()]
    names = ", ".join(sorted({e.field for e in errors})) or "the request"
    return Problem(422, f"invalid input: {names}", slug="validation-failed", errors=errors)


def problem_from_http_exception(exc: StarletteHTTPException) -> Problem:
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if detail == _title(exc.status_code):
        detail = None
    return Problem(exc.status_code, detail, headers=exc.headers)


def problem_from_concurrency(exc: ConcurrencyError) -> Problem:
    return Problem(
        409,
        "the resource was changed by another request at the same time; reload it and try again",
        slug="concurrency-conflict",
    )


INTERNAL_ERROR = Problem(500, "an internal error occurred; quote the request id when reporting it")


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(request, exc)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(request, problem_from_validation(exc))


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem_response(request, problem_from_http_exception(exc))


async def _on_concurrency(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConcurrencyError)
    log.info("concurrency conflict: %s", exc)
    return problem_response(request, problem_from_concurrency(exc))


async def _on_unhandled(request: Request, exc: Exception) -> JSONResponse:
    # Backstop only: the request middleware answers unhandled errors itself, while the request
    # id is still bound. This runs for errors raised outside it (in other middleware).
    log.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
    return problem_response(request, INTERNAL_ERROR)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(ConcurrencyError, _on_concurrency)
    app.add_exception_handler(Exception, _on_unhandled)
