"""The OpenAPI document states, for every operation, who may call it.

Each operation gets `x-roles` (the roles `require_roles(...)` declared, or `["public"]`), a
sentence in its description, and, unless public, the bearer security requirement, so frontends
and reviewers read the access rule from the contract rather than from the code.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from eventkit.web.auth import route_access

BEARER = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


def install_access_in_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes, description=app.description)
        schema.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = BEARER
        for route in app.routes:
            if not isinstance(route, APIRoute) or not route.include_in_schema:
                continue
            access = route_access(route)
            if access is None:
                continue
            roles = ["public"] if access.public else sorted(access.roles)
            for method in route.methods:
                operation = schema.get("paths", {}).get(route.path_format, {}).get(method.lower())
                if operation is None:
                    continue
                operation["x-roles"] = roles
                who = "anyone" if access.public else "roles: " + ", ".join(roles) if roles else "any authenticated caller"
                operation["description"] = (operation.get("description", "") + f"\n\nAccess: {who}.").strip()
                if not access.public:
                    operation["security"] = [{"bearer": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
