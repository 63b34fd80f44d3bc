"""The refund domain's refusals as RFC 9457 problems naming the field, in Chinese and English."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from eventkit.web.problems import FieldError, Problem
from refund.domain.issues import Conflict, NotFound, Rejected


@contextmanager
def as_problems() -> Iterator[None]:
    try:
        yield
    except Rejected as exc:
        raise Problem(
            exc.status,
            "; ".join(f"{i.field}: {i.en}" for i in exc.issues),
            slug=exc.slug,
            errors=[FieldError(f"body.{i.field}", i.en, i.zh, i.code) for i in exc.issues],
        ) from None
    except Conflict as exc:
        raise Problem(
            409,
            f"{exc.en} ({exc.zh})",
            slug=exc.code.replace(".", "-").replace("_", "-"),
            errors=[FieldError(exc.field or "(state)", exc.en, exc.zh, exc.code)],
        ) from None
    except NotFound as exc:
        raise Problem(404, f"{exc.en} ({exc.zh})", slug=f"{exc.what}-not-found") from None
