"""Wiring for the routers: domain refusals as RFC 9457 problem documents naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from classification.domain.issues import Conflict, NotFound, Rejected
from eventkit.web.problems import FieldError, Problem


@contextmanager
def as_problems() -> Iterator[None]:
    """Turn the domain's refusals into problems (stored and replayed by Idempotency)."""
    try:
        yield
    except Rejected as exc:
        raise Problem(
            exc.status,
            "; ".join(f"{i.field}: {i.en}" for i in exc.issues[:5]) or "invalid request",
            slug=exc.slug,
            errors=[FieldError(i.field, i.en, i.zh, i.code) for i in exc.issues],
        ) from None
    except Conflict as exc:
        raise Problem(
            409, f"{exc.en} ({exc.zh})", slug=exc.code.replace(".", "-"), errors=[FieldError("(state)", exc.en, exc.zh, exc.code)]
        ) from None
    except NotFound as exc:
        raise Problem(404, f"{exc.en} ({exc.zh})", slug=f"{exc.what}-not-found") from None
