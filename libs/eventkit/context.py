"""Request-scoped context: request, correlation and causation ids and the W3C trace parent.

Set by the web layer for each request and by the consumer runner for each event handled, read
when events are built, so that ids flow from a REST call into the events it causes and onwards.
"""

from __future__ import annotations

import contextvars
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

_NO_TRACE = "00-" + "0" * 32 + "-" + "0" * 16 + "-00"


def new_traceparent() -> str:
    """A fresh W3C traceparent (version 00, sampled)."""
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def child_traceparent(parent: str | None) -> str:
    """A traceparent continuing the trace of `parent` with a new span id."""
    parts = (parent or "").split("-")
    if len(parts) == 4 and len(parts[1]) == 32 and len(parts[2]) == 16 and parent != _NO_TRACE:
        return f"00-{parts[1]}-{secrets.token_hex(8)}-{parts[3]}"
    return new_traceparent()


@dataclass(frozen=True)
class Context:
    request_id: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    traceparent: str | None = None
    actor: str | None = None


_current: contextvars.ContextVar[Context] = contextvars.ContextVar("eventkit_context", default=Context())  # noqa: B039 (frozen)


def current() -> Context:
    return _current.get()


@contextmanager
def bind(**changes: str | None) -> Iterator[Context]:
    """Bind context values for the duration of a block (nested blocks inherit and override)."""
    ctx = replace(_current.get(), **changes)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def new_id() -> str:
    return str(uuid.uuid4())
