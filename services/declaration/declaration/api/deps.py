"""Wiring for the routers: the command dependencies, and domain refusals as problem documents."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI, Request

from declaration.application.commands import Deps
from declaration.domain.issues import Conflict, NotFound, Rejected
from eventkit.web.problems import FieldError, Problem
from refdata.regions import RegionCatalog


def deps_of(app: FastAPI) -> Deps:
    deps: Deps | None = getattr(app.state, "declaration_deps", None)
    if deps is None:
        deps = Deps(store=app.state.runtime.store, catalog=RegionCatalog.default(), keyring=app.state.settings.keyring())
        app.state.declaration_deps = deps
    return deps


def get_deps(request: Request) -> Deps:
    return deps_of(request.app)


@contextmanager
def as_problems() -> Iterator[None]:
    """Turn the domain's refusals into RFC 9457 problems (stored and replayed by Idempotency)."""
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
