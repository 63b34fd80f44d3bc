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
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; `errors` names each offending field",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": ["string", "null"]},
        "request_id": {"type": ["string", "null"]},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {
                    "field": {"type": "string"},
                    "reason": {"type": "string"},
                    "reason_zh": {"type": "string"},
                    "code": {"type": "string"},
                },
            },
        },
    },
}
PROBLEM_RESPONSE = {
    "description": "A problem (RFC 9457)",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


def install_access_in_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes, description=app.description)
        components = schema.setdefault("components", {})
        components.setdefault("securitySchemes", {})["bearer"] = BEARER
        components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                # every error of every operation is a problem document (eventkit.web.problems)
                responses = operation.setdefault("responses", {})
                responses["422"] = PROBLEM_RESPONSE
                responses["default"] = PROBLEM_RESPONSE
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
        _drop_unreferenced(schema, ("HTTPValidationError", "ValidationError"))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _drop_unreferenced(schema: dict[str, Any], names: tuple[str, ...]) -> None:
    """FastAPI's own 422 body schemas, replaced above by the problem document."""
    import json

    schemas = schema.get("components", {}).get("schemas", {})
    for name in names:
        if name in schemas:
            rest = {k: v for k, v in schemas.items() if k != name}
            if f"#/components/schemas/{name}" not in json.dumps({**schema, "components": {"schemas": rest}}):
                del schemas[name]
