"""The refund domain's refusals as RFC 9457 problems: `Rejected` → 422 naming every offending
field, `Conflict` → 409 naming what to look at, `NotFound` → 404."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from eventkit.web.problems import FieldError, Problem
from refund.domain.issues import Conflict, NotFound, Rejected


def problem_of(exc: Rejected | Conflict | NotFound) -> Problem:
    if isinstance(exc, Rejected):
        errors = [FieldError(i.field, i.en, i.zh, i.code) for i in exc.issues]
        return Problem(exc.status, str(exc), slug=exc.slug, errors=errors)
    if isinstance(exc, Conflict):
        errors = [FieldError(exc.field, exc.en, exc.zh, exc.code)] if exc.field else []
        return Problem(409, exc.en, slug="conflict", errors=errors, extensions={"code": exc.code, "detail_zh": exc.zh})
    return Problem(404, exc.en, slug=f"{exc.what.replace('_', '-')}-not-found", extensions={"detail_zh": exc.zh})


@contextmanager
def as_problems() -> Iterator[None]:
    """Raise the domain's refusals inside the block as problems."""
    try:
        yield
    except (Rejected, Conflict, NotFound) as exc:
        raise problem_of(exc) from None
