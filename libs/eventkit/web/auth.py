"""Bearer-token authentication and per-route role declarations.

Every route declares who may call it, with exactly one of:

    @router.get("/v1/payers/{credit_code}", dependencies=[Depends(require_roles(PAYER, OFFICER))])
    @router.get("/healthz", dependencies=[Depends(public())])

or takes the principal as a parameter: `principal: Principal = Depends(require_roles(OFFICER))`.
`require_roles` admits a principal holding at least one of the roles. The dependency callables
carry their declaration (`.roles`, `route_access(route)`), so `assert_all_routes_declared(app)`
(called by create_app and again at start-up) refuses an app with a route that declares nothing.

Tokens: JWT signed with Ed25519 (EdDSA) or RSA (RS256), issuer, audience and expiry verified,
claims `sub`, `roles: list[str]` and, for role `payer`, `payer` = the payer's credit code; for
officers scoped to a pooling region, `region` = its 6-digit code.
"""

# No `from __future__ import annotations` here: FastAPI resolves the string annotations of a
# callable-instance dependency (RoleGuard.__call__) without its module globals, so they must be real.

from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import jwt
from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.routing import BaseRoute, Mount

from eventkit import context
from eventkit.settings import ServiceSettings
from eventkit.web.problems import Problem
from eventkit.web.tokens import verification_algorithms

PAYER = "payer"
OFFICER = "officer"
ADMIN = "admin"
# Roles that may act for any payer (ensure_payer_scope lets them pass).
OFFICER_ROLES: frozenset[str] = frozenset({OFFICER, ADMIN})

_bearer = HTTPBearer(auto_error=False, description="JWT from the bureau's identity provider")


@dataclass(frozen=True)
class Principal:
    sub: str
    roles: frozenset[str]
    payer: str | None = None
    region: str | None = None  # for officers scoped to one pooling region (统筹区), e.g. tax_officer

    def has_any(self, roles: Iterable[str]) -> bool:
        return not self.roles.isdisjoint(roles)


@dataclass(frozen=True)
class AccessDecision:
    """What a route declared: public, or the roles (any one suffices) a caller must hold.

    `roles` empty and `public` False means: any authenticated caller.
    """

    public: bool
    roles: frozenset[str]


def _unauthorized(detail: str, *, invalid_token: bool) -> Problem:
    challenge = 'Bearer realm="relief-platform"'
    if invalid_token:
        challenge += ', error="invalid_token"'
    return Problem(401, detail, slug="unauthorized", headers={"WWW-Authenticate": challenge})


class Authenticator:
    """Verifies bearer tokens against one public key (kept on `app.state.authenticator`)."""

    def __init__(self, public_key_pem: str | bytes, *, issuer: str, audience: str, leeway_s: int = 30) -> None:
        self._key, self._algorithms = verification_algorithms(public_key_pem)
        self.issuer = issuer
        self.audience = audience
        self.leeway_s = leeway_s

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> "Authenticator | None":
        pem = settings.jwt_public_key_pem()
        if pem is None:
            return None
        return cls(pem, issuer=settings.auth_jwt_issuer, audience=settings.auth_jwt_audience, leeway_s=settings.auth_leeway_s)

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; a 401 Problem for anything else."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=self._algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise _unauthorized("the bearer token has expired", invalid_token=True) from None
        except jwt.PyJWTError as exc:
            raise _unauthorized(f"the bearer token is invalid: {exc}", invalid_token=True) from None
        sub, roles, payer = claims.get("sub"), claims.get("roles", []), claims.get("payer")
        if not isinstance(sub, str) or not sub:
            raise _unauthorized("the bearer token has no subject", invalid_token=True)
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise _unauthorized("the bearer token's roles claim is not a list of strings", invalid_token=True)
        if payer is not None and not isinstance(payer, str):
            raise _unauthorized("the bearer token's payer claim is not a string", invalid_token=True)
        region = claims.get("region")
        if region is not None and not isinstance(region, str):
            raise _unauthorized("the bearer token's region claim is not a string", invalid_token=True)
        return Principal(sub=sub, roles=frozenset(roles), payer=payer, region=region)


def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    authenticator: Authenticator | None = getattr(request.app.state, "authenticator", None)
    if authenticator is None:
        raise Problem(503, "token verification is not configured (AUTH_JWT_PUBLIC_KEY)", slug="auth-not-configured")
    if credentials is None:
        raise _unauthorized("a bearer token is required", invalid_token=False)
    return authenticator.verify(credentials.credentials)


class AccessDeclaration:
    """Base of the dependencies that declare a route's access; `route_access` looks for them."""

    access: AccessDecision

    @property
    def roles(self) -> frozenset[str]:
        return self.access.roles


class RoleGuard(AccessDeclaration):
    """The dependency `require_roles` / `authenticated` return; it yields the Principal."""

    def __init__(self, roles: frozenset[str]) -> None:
        self.access = AccessDecision(public=False, roles=roles)

    def __repr__(self) -> str:
        return f"require_roles({', '.join(sorted(self.roles))})"

    async def __call__(
        self, request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
    ) -> AsyncIterator[Principal]:
        principal = authenticate(request, credentials)
        if self.roles and not principal.has_any(self.roles):
            needed = ", ".join(sorted(self.roles))
            raise Problem(403, f"this operation requires one of the roles: {needed}", slug="forbidden")
        request.state.principal = principal
        # Bound for the rest of the request, so events built by the handler name their actor.
        with context.bind(actor=principal.sub):
            yield principal


class PublicRoute(AccessDeclaration):
    """The dependency `public()` returns: declares the route open to anyone."""

    def __init__(self) -> None:
        self.access = AccessDecision(public=True, roles=frozenset())

    def __repr__(self) -> str:
        return "public()"

    async def __call__(self) -> None:
        return None


def require_roles(*roles: str) -> RoleGuard:
    """A dependency admitting a caller holding at least one of `roles`; it yields the Principal."""
    if not roles:
        raise ValueError("require_roles needs at least one role; use authenticated() for any caller")
    return RoleGuard(frozenset(roles))


def authenticated() -> RoleGuard:
    """A dependency admitting any caller with a valid token, whatever its roles."""
    return RoleGuard(frozenset())


def public() -> PublicRoute:
    """Declares a route deliberately open to anyone (health, readiness, metrics, API docs)."""
    return PublicRoute()


def ensure_payer_scope(principal: Principal, credit_code: str, *, officer_roles: Iterable[str] = OFFICER_ROLES) -> None:
    """A payer may act on its own credit code only; officer roles may act on any (403 otherwise)."""
    if principal.has_any(officer_roles):
        return
    if PAYER in principal.roles and principal.payer is not None and principal.payer == credit_code:
        return
    raise Problem(403, "this payer may only access its own records", slug="payer-scope")


def _declarations(route: BaseRoute) -> Iterator[AccessDecision]:
    dependant = getattr(route, "dependant", None)
    if isinstance(route, APIRoute | APIWebSocketRoute) and dependant is not None:
        stack = list(dependant.dependencies)
        while stack:
            dep = stack.pop()
            if isinstance(dep.call, AccessDeclaration):
                yield dep.call.access
            stack.extend(dep.dependencies)


def route_access(route: BaseRoute) -> AccessDecision | None:
    """What `route` declared, or None when it declared nothing.

    A route with role requirements is not public even if it also carries public(); with several
    role dependencies the caller must pass each, and `roles` lists their union.
    """
    decisions = list(_declarations(route))
    if not decisions:
        return None
    guarded = [d for d in decisions if not d.public]
    if not guarded:
        return AccessDecision(public=True, roles=frozenset())
    return AccessDecision(public=False, roles=frozenset().union(*(d.roles for d in guarded)))


def iter_routes(routes: Iterable[BaseRoute], prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    """Every leaf route with its full path, descending into mounted routers."""
    for route in routes:
        if isinstance(route, Mount) and route.routes:
            yield from iter_routes(route.routes, prefix + route.path)
        else:
            yield prefix + str(getattr(route, "path", "")), route


def undeclared_routes(app: FastAPI) -> list[str]:
    missing = []
    for path, route in iter_routes(app.routes):
        if route_access(route) is None:
            methods = ",".join(sorted(getattr(route, "methods", None) or [])) or "*"
            missing.append(f"{methods} {path}")
    return missing


class UndeclaredRoutesError(RuntimeError):
    def __init__(self, routes: list[str]) -> None:
        super().__init__("routes without require_roles(...) or public(): " + "; ".join(routes))
        self.routes = routes


def assert_all_routes_declared(app: FastAPI) -> None:
    """Raise UndeclaredRoutesError listing every route that declares neither roles nor public()."""
    missing = undeclared_routes(app)
    if missing:
        raise UndeclaredRoutesError(missing)
