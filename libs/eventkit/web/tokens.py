"""Key pairs and bearer tokens for development, tests and demos.

Production tokens come from the bureau's identity provider; services only hold its public key.
The algorithm follows the key: Ed25519 keys sign with EdDSA, RSA keys with RS256.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

DEFAULT_ISSUER = "relief-platform"
DEFAULT_AUDIENCE = "relief-platform"
PRIVATE_KEY_FILE = "jwt-private.pem"
PUBLIC_KEY_FILE = "jwt-public.pem"


def _as_bytes(pem: str | bytes) -> bytes:
    return pem.encode("ascii") if isinstance(pem, str) else pem


def generate_keypair() -> tuple[str, str]:
    """A fresh Ed25519 key pair as (private PEM in PKCS#8, public PEM in SubjectPublicKeyInfo)."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private_pem.decode("ascii"), public_pem.decode("ascii")


def write_keypair(directory: str | Path, *, overwrite: bool = False) -> tuple[Path, Path]:
    """Generate a key pair into `directory` (private key readable by the owner only)."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    private_path, public_path = folder / PRIVATE_KEY_FILE, folder / PUBLIC_KEY_FILE
    if not overwrite and (private_path.exists() or public_path.exists()):
        raise FileExistsError(f"{private_path} or {public_path} exists; pass overwrite to replace them")
    private_pem, public_pem = generate_keypair()
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(private_pem)
    public_path.write_text(public_pem, encoding="ascii")
    return private_path, public_path


def signing_key(private_key_pem: str | bytes) -> tuple[Ed25519PrivateKey | RSAPrivateKey, str]:
    """The loaded private key and the algorithm it signs with."""
    key = serialization.load_pem_private_key(_as_bytes(private_key_pem), password=None)
    if isinstance(key, Ed25519PrivateKey):
        return key, "EdDSA"
    if isinstance(key, RSAPrivateKey):
        return key, "RS256"
    raise ValueError(f"unsupported signing key type {type(key).__name__}; use Ed25519 or RSA")


def verification_algorithms(public_key_pem: str | bytes) -> tuple[Any, list[str]]:
    """The loaded public key and the one algorithm accepted with it.

    Pinning the algorithm to the key type is what stops algorithm-confusion attacks (a token
    signed `HS256` with the public key as an HMAC secret, or `none`).
    """
    key = serialization.load_pem_public_key(_as_bytes(public_key_pem))
    if isinstance(key, Ed25519PublicKey):
        return key, ["EdDSA"]
    if isinstance(key, RSAPublicKey):
        return key, ["RS256"]
    raise ValueError(f"unsupported verification key type {type(key).__name__}; use Ed25519 or RSA")


def issue_token(
    private_key_pem: str | bytes,
    sub: str,
    roles: list[str] | tuple[str, ...],
    payer: str | None = None,
    ttl_s: int = 3600,
    *,
    region: str | None = None,
    issuer: str = DEFAULT_ISSUER,
    audience: str = DEFAULT_AUDIENCE,
    now: float | None = None,
) -> str:
    """A signed JWT with `sub`, `roles`, optional `payer`, `iss`, `aud`, `iat`, `exp`, `jti`."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": sub,
        "roles": list(roles),
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl_s,
        "jti": str(uuid.uuid4()),
    }
    if payer is not None:
        claims["payer"] = payer
    if region is not None:
        claims["region"] = region
    key, algorithm = signing_key(private_key_pem)
    return jwt.encode(claims, key, algorithm=algorithm)
