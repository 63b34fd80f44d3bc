"""Routes called by machines that sign what they send (a bank's callbacks), not by users with tokens.

    @router.post("/v1/bank/notifications")
    async def notify(principal: Principal = Depends(signed_by("bank", secret_of))) -> ...

The caller signs the raw body with HMAC-SHA256 under a secret both sides hold and sends
``X-Bank-Signature: sha256=<hex>``. A missing, malformed or wrong signature is a 401 problem; a
service without a configured secret answers 503 (it cannot tell a bank from anyone). The route
declares its caller's role like ``require_roles`` does (``x-roles`` in the OpenAPI), so the
"every route states who may call it" rule holds for it too.
"""

import hashlib
import hmac
from collections.abc import AsyncIterator, Callable

from fastapi import Request

from eventkit import context
from eventkit.web.auth import AccessDecision, AccessDeclaration, Principal
from eventkit.web.problems import Problem

HEADER = "X-Bank-Signature"


def sign(secret: bytes, body: bytes) -> str:
    """The header value for ``body``: ``sha256=<hex>``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class SignedBy(AccessDeclaration):
    def __init__(self, role: str, secret: Callable[[Request], bytes | None], header: str = HEADER) -> None:
        self.access = AccessDecision(public=False, roles=frozenset({role}))
        self.role = role
        self.secret = secret
        self.header = header

    def __repr__(self) -> str:
        return f"signed_by({self.role})"

    async def __call__(self, request: Request) -> AsyncIterator[Principal]:
        secret = self.secret(request)
        if not secret:
            raise Problem(503, f"no secret is configured to verify {self.role} callbacks", slug="signature-not-configured")
        given = request.headers.get(self.header, "")
        expected = sign(secret, await request.body())
        if not given.startswith("sha256=") or not hmac.compare_digest(given, expected):
            raise Problem(401, f"missing or wrong {self.header} (HMAC-SHA256 of the body)", slug="bad-signature")
        principal = Principal(sub=self.role, roles=frozenset({self.role}))
        request.state.principal = principal
        with context.bind(actor=principal.sub):
            yield principal


def signed_by(role: str, secret: Callable[[Request], bytes | None], header: str = HEADER) -> SignedBy:
    """A dependency admitting a caller that signed the body (see the module docstring)."""
    return SignedBy(role, secret, header)
