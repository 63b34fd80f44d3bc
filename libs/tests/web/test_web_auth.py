"""Bearer tokens, roles, payer scope and the per-route access declarations."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eventkit.settings import ServiceSettings
from eventkit.web import (
    OFFICER,
    PAYER,
    AccessDecision,
    Authenticator,
    UndeclaredRoutesError,
    assert_all_routes_declared,
    create_app,
    public,
    require_roles,
    route_access,
)
from eventkit.web.tokens import generate_keypair, issue_token

CREDIT_CODE = "91320600MA1XXXXXX0"
OTHER = "91110000100000000X"


@pytest.mark.asyncio
async def test_valid_token_admits_and_binds_actor(harness: Any) -> None:
    r = await harness.client.get("/v1/context", headers=harness.token(PAYER, sub="alice", payer=CREDIT_CODE))
    assert r.status_code == 200
    assert r.json()["actor"] == "alice"


@pytest.mark.asyncio
async def test_expired_token_is_401(harness: Any) -> None:
    headers = harness.token(PAYER, ttl_s=60, now=time.time() - 3600)
    r = await harness.client.get("/v1/context", headers=headers)
    assert r.status_code == 401
    assert "expired" in r.json()["detail"]
    assert r.headers["www-authenticate"].startswith("Bearer") and 'error="invalid_token"' in r.headers["www-authenticate"]


@pytest.mark.asyncio
async def test_token_signed_by_another_key_is_401(harness: Any) -> None:
    stranger, _ = generate_keypair()
    token = issue_token(stranger, "mallory", [OFFICER])
    r = await harness.client.get("/v1/officer-only", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert r.json()["type"] == "urn:relief:problem:unauthorized"


@pytest.mark.asyncio
async def test_wrong_audience_or_issuer_is_401(harness: Any) -> None:
    for kw in ({"audience": "another-platform"}, {"issuer": "someone-else"}):
        r = await harness.client.get("/v1/officer-only", headers=harness.token(OFFICER, **kw))
        assert r.status_code == 401, kw


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.asyncio
async def test_algorithm_confusion_is_refused(harness: Any, keypair: tuple[str, str]) -> None:
    # An HS256 token using the (public) verification key as HMAC secret, and an alg=none token.
    claims = {"sub": "eve", "roles": [OFFICER], "iss": "relief-platform", "aud": "relief-platform", "exp": time.time() + 60}
    signing_input = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + _b64(json.dumps(claims).encode())
    mac = hmac.new(keypair[1].encode(), signing_input.encode(), hashlib.sha256).digest()
    unsigned = _b64(json.dumps({"alg": "none"}).encode()) + "." + _b64(json.dumps(claims).encode()) + "."
    for token in (signing_input + "." + _b64(mac), unsigned):
        r = await harness.client.get("/v1/officer-only", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401


@pytest.mark.asyncio
async def test_missing_role_is_403_and_right_role_passes(harness: Any) -> None:
    r = await harness.client.get("/v1/officer-only", headers=harness.token(PAYER, payer=CREDIT_CODE))
    assert r.status_code == 403
    r = await harness.client.get("/v1/officer-only", headers=harness.token(OFFICER))
    assert r.status_code == 200


@pytest.mark.asyncio
async def test_non_bearer_or_garbage_authorization_is_401(harness: Any) -> None:
    for value in ("Basic YWxpY2U6c2VjcmV0", "Bearer not-a-jwt", "Bearer"):
        r = await harness.client.get("/v1/officer-only", headers={"Authorization": value})
        assert r.status_code == 401, value


@pytest.mark.asyncio
async def test_payer_may_only_see_its_own_credit_code(harness: Any) -> None:
    own = harness.token(PAYER, payer=CREDIT_CODE)
    assert (await harness.client.get(f"/v1/payers/{CREDIT_CODE}", headers=own)).status_code == 200
    r = await harness.client.get(f"/v1/payers/{OTHER}", headers=own)
    assert r.status_code == 403 and r.json()["type"] == "urn:relief:problem:payer-scope"
    # a payer token without a payer claim sees nothing
    assert (await harness.client.get(f"/v1/payers/{CREDIT_CODE}", headers=harness.token(PAYER))).status_code == 403
    officer = harness.token(OFFICER)
    assert (await harness.client.get(f"/v1/payers/{OTHER}", headers=officer)).status_code == 200


def test_rs256_keys_work_too() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    )
    auth = Authenticator(public_pem, issuer="relief-platform", audience="relief-platform")
    principal = auth.verify(issue_token(private_pem, "bob", [OFFICER, PAYER], CREDIT_CODE))
    assert principal.sub == "bob" and principal.roles == {OFFICER, PAYER} and principal.payer == CREDIT_CODE


def test_every_route_of_the_test_app_declares_its_access(harness: Any) -> None:
    assert_all_routes_declared(harness.app)
    table = {(getattr(r, "path", ""), ",".join(sorted(getattr(r, "methods", ())))): route_access(r) for r in harness.app.routes}
    assert table[("/v1/things", "POST")] == AccessDecision(public=False, roles=frozenset({PAYER, OFFICER}))
    assert table[("/v1/officer-only", "GET")] == AccessDecision(public=False, roles=frozenset({OFFICER}))
    assert table[("/v1/payers/{credit_code}", "GET")] == AccessDecision(public=False, roles=frozenset({PAYER, OFFICER}))
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"):
        assert table[(path, "GET")] == AccessDecision(public=True, roles=frozenset()), path
    assert require_roles(OFFICER, PAYER).roles == {OFFICER, PAYER}


def test_an_undeclared_route_is_refused() -> None:
    app = FastAPI()

    @app.get("/declared", dependencies=[Depends(public())])
    async def declared() -> None: ...

    assert_all_routes_declared(FastAPI(openapi_url=None, docs_url=None, redoc_url=None))

    @app.post("/v1/forgotten")
    async def forgotten() -> None: ...

    with pytest.raises(UndeclaredRoutesError) as info:
        assert_all_routes_declared(app)
    assert "POST /v1/forgotten" in info.value.routes
    assert "GET,HEAD /declared" not in str(info.value)
    # FastAPI's own /docs and /openapi.json are plain routes that declare nothing: create_app serves its own.
    assert any("/openapi.json" in r for r in info.value.routes)


def test_create_app_refuses_an_undeclared_router(sessions_for_app: async_sessionmaker[AsyncSession]) -> None:
    router = APIRouter()

    @router.get("/v1/oops")
    async def oops() -> None: ...

    settings = ServiceSettings(service_name="webtest")
    with pytest.raises(UndeclaredRoutesError, match="/v1/oops"):
        create_app(settings, sessions=sessions_for_app, routers=[router])


@pytest.mark.asyncio
async def test_guarded_routes_answer_503_without_a_verification_key(
    sessions_for_app: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUTH_JWT_PUBLIC_KEY", raising=False)
    monkeypatch.delenv("AUTH_JWT_PUBLIC_KEY_FILE", raising=False)
    router = APIRouter()

    @router.get("/v1/guarded", dependencies=[Depends(require_roles(OFFICER))])
    async def guarded() -> None: ...

    app = create_app(ServiceSettings(service_name="webtest"), sessions=sessions_for_app, routers=[router])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        r = await client.get("/v1/guarded")
    assert r.status_code == 503 and r.json()["type"] == "urn:relief:problem:auth-not-configured"
