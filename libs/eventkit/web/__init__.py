"""The FastAPI layer every service shares: app factory, auth, problems, idempotency."""

from eventkit.web.app import LifespanHook, ReadinessCheck, create_app, database_check, start_stop
from eventkit.web.auth import (
    ADMIN,
    OFFICER,
    OFFICER_ROLES,
    PAYER,
    AccessDecision,
    Authenticator,
    Principal,
    PublicRoute,
    RoleGuard,
    UndeclaredRoutesError,
    assert_all_routes_declared,
    authenticated,
    ensure_payer_scope,
    public,
    require_roles,
    route_access,
)
from eventkit.web.idempotency import Idempotency, Reply, idempotency
from eventkit.web.problems import FieldError, Problem

__all__ = [
    "ADMIN",
    "OFFICER",
    "OFFICER_ROLES",
    "PAYER",
    "AccessDecision",
    "Authenticator",
    "FieldError",
    "Idempotency",
    "LifespanHook",
    "Principal",
    "Problem",
    "PublicRoute",
    "ReadinessCheck",
    "Reply",
    "RoleGuard",
    "UndeclaredRoutesError",
    "assert_all_routes_declared",
    "authenticated",
    "create_app",
    "database_check",
    "ensure_payer_scope",
    "idempotency",
    "public",
    "require_roles",
    "route_access",
    "start_stop",
]
