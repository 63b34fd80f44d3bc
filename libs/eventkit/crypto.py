"""Field-level encryption of personal data (ID numbers, bank accounts), at rest and in events.

Events live forever in Kafka and in the event store, so a personal number is never written to
either in clear: it travels as a `Sealed` value, the ciphertext beside its masked form. Services
that must use the plaintext (refund instructs bank transfers) hold the keyring; every other
service, every response and every log line only ever sees the ciphertext and the mask.

    keyring = settings.keyring()                        # DATA_KEY_FILE / DATA_KEY, see settings.py
    account = Sealed.seal("6222020200001234", keyring, "declaration/payer.bank_account")
    account.masked                                      # '6222********1234'
    account.open(keyring, "declaration/payer.bank_account")   # '6222020200001234'
    keyring.blind_index("110105194912310021", context="declaration/payer.id_number")  # hex, for lookups

Tokens are `enc:v1:<kid>:<base64url(nonce ‖ ciphertext ‖ tag)>` (AES-256-GCM, random 96-bit
nonce, no padding). The `context` names the field (`"<service or aggregate>/<field path>"`) and
is the AES-GCM associated data, so a token copied into another field does not decrypt.

Key rotation: a keyring holds named keys, one of them active. New tokens use the active key; a
token names its key, so every key still in the keyring decrypts. To rotate, add a key and make it
active (`keyring.with_new_key()`, then `write`); drop an old key only once nothing is sealed with
it any more (events are immutable, so usually never). With random nonces a key should seal fewer
than 2**32 values; rotate long before that.

Blind indexes (HMAC-SHA256, hex) let a service find a record by ID number without storing the
number in clear. Their key never rotates with the encryption keys: it is `index_key` in the key
file when present, else derived (HKDF-SHA256) from the first key of the file, so adding keys does
not change any index. `to_json()` always writes the index key out explicitly, which keeps indexes
stable even after the first key is retired. Callers must normalise a value the same way before
indexing and before looking up (e.g. strip and upper-case an ID number's final X).

Key file formats (`Keyring.from_file`, and the same text in an environment value):
- JSON: `{"active": "k2", "keys": {"k1": "<base64 32 bytes>", "k2": "..."}, "index_key": "..."}`
  (`index_key` optional; `active` optional when there is a single key);
- a single base64 key (32 bytes) on its own: kid `k1`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel, ConfigDict, Field

from eventkit.logging import mask_account, mask_id_number

__all__ = [
    "DecryptionError",
    "Keyring",
    "KeyringError",
    "Sealed",
    "is_token",
    "mask_account",
    "mask_id_number",
    "mask_name",
    "token_kid",
]

TOKEN_PREFIX = "enc:v1:"
KEY_BYTES = 32
NONCE_BYTES = 12
_TAG_BYTES = 16
_KID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_TOKEN_RE = r"^enc:v1:[A-Za-z0-9_.-]{1,64}:[A-Za-z0-9_-]+$"
_INDEX_SALT = b"eventkit/blind-index"
_INDEX_INFO = b"eventkit blind index key v1"


class KeyringError(ValueError):
    """A key file or key value is missing, malformed, or inconsistent (never shows key bytes)."""


class DecryptionError(ValueError):
    """A token could not be decrypted: malformed, unknown key id, tampered, or another context."""


# ---- keyring --------------------------------------------------------------------------------


def _decode_key(text: str, what: str) -> bytes:
    """Standard or URL-safe base64, padding and whitespace optional, exactly 32 bytes."""
    raw = "".join(text.split()).rstrip("=")
    if not re.fullmatch(r"[A-Za-z0-9+/_-]+", raw):
        raise KeyringError(f"{what} is not valid base64")
    try:
        data = base64.urlsafe_b64decode(raw.replace("+", "-").replace("/", "_") + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise KeyringError(f"{what} is not valid base64") from None
    if len(data) != KEY_BYTES:
        raise KeyringError(f"{what} is {len(data)} bytes; AES-256 keys are {KEY_BYTES} bytes")
    return data


def _encode_key(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def _check_context(context: str) -> bytes:
    if not isinstance(context, str) or not context:
        raise ValueError("context must be a non-empty string naming the field, e.g. 'declaration/payer.bank_account'")
    return context.encode("utf-8")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def is_token(value: str) -> bool:
    """True when `value` looks like a token of this module (for migrating clear columns)."""
    return isinstance(value, str) and re.fullmatch(_TOKEN_RE, value) is not None


def token_kid(token: str) -> str:
    """The key id a token was sealed with (no key needed); DecryptionError if it is no token."""
    if not is_token(token):
        raise DecryptionError("not an encrypted token (expected 'enc:v1:<kid>:<data>')")
    return token.split(":", 3)[2]


class Keyring:
    """Named AES-256-GCM keys: the active one encrypts, every one decrypts; plus the index key."""

    __slots__ = ("_active", "_aead", "_index_key", "_index_key_explicit", "_keys")

    def __init__(self, keys: Mapping[str, bytes], active: str | None = None, *, index_key: bytes | None = None) -> None:
        if not keys:
            raise KeyringError("a keyring needs at least one key")
        for kid, key in keys.items():
            if not isinstance(kid, str) or not _KID_RE.match(kid):
                raise KeyringError(f"key id {kid!r} must be 1-64 of A-Z a-z 0-9 _ . -")
            if not isinstance(key, bytes) or len(key) != KEY_BYTES:
                raise KeyringError(f"key {kid!r} must be {KEY_BYTES} bytes")
        if active is None:
            if len(keys) != 1:
                raise KeyringError(f"several keys ({', '.join(keys)}) and no active one named")
            active = next(iter(keys))
        if active not in keys:
            raise KeyringError(f"active key {active!r} is not among the keys ({', '.join(keys)})")
        if index_key is not None and (not isinstance(index_key, bytes) or len(index_key) != KEY_BYTES):
            raise KeyringError(f"index key must be {KEY_BYTES} bytes")
        self._keys: dict[str, bytes] = dict(keys)
        self._active = active
        self._aead = {kid: AESGCM(key) for kid, key in self._keys.items()}
        self._index_key_explicit = index_key is not None
        self._index_key = index_key if index_key is not None else _derive_index_key(next(iter(self._keys.values())))

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def generate(cls, kid: str = "k1") -> Keyring:
        """A fresh keyring with one random key (dev setups and tests)."""
        return cls({kid: os.urandom(KEY_BYTES)}, kid)

    @classmethod
    def from_value(cls, text: str) -> Keyring:
        """Parse a key file's text or an environment value (JSON keyring or one base64 key)."""
        text = text.strip()
        if not text:
            raise KeyringError("the key value is empty")
        if not text.startswith(("{", "[")):
            return cls({"k1": _decode_key(text, "the key")}, "k1")
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:  # its message names the position only, never the content
            raise KeyringError(f"keyring JSON is malformed: {exc.msg} at line {exc.lineno}") from None
        if not isinstance(doc, dict):
            raise KeyringError("keyring JSON must be an object")
        unknown = set(doc) - {"active", "keys", "index_key"}
        if unknown:
            raise KeyringError(f"keyring JSON has unknown field(s): {', '.join(sorted(unknown))}")
        keys = doc.get("keys")
        if not isinstance(keys, dict) or not keys:
            raise KeyringError("keyring JSON needs 'keys': an object of key id -> base64 key")
        active = doc.get("active")
        if active is not None and not isinstance(active, str):
            raise KeyringError("keyring JSON 'active' must be a key id")
        decoded: dict[str, bytes] = {}
        for kid, value in keys.items():
            if not isinstance(value, str):
                raise KeyringError(f"key {kid!r} must be a base64 string")
            decoded[kid] = _decode_key(value, f"key {kid!r}")
        index = doc.get("index_key")
        if index is not None and not isinstance(index, str):
            raise KeyringError("keyring JSON 'index_key' must be a base64 string")
        return cls(decoded, active, index_key=None if index is None else _decode_key(index, "index_key"))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Keyring:
        """Read a key file (see the module docstring for its formats)."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise KeyringError(f"cannot read key file {os.fspath(path)!r}: {exc.strerror or exc}") from None
        try:
            return cls.from_value(text)
        except KeyringError as exc:
            raise KeyringError(f"key file {os.fspath(path)!r}: {exc}") from None

    @classmethod
    def from_env(cls, name: str = "DATA_KEY") -> Keyring:
        """Parse the environment variable `name` (same formats as a key file)."""
        value = os.environ.get(name)
        if not value:
            raise KeyringError(f"environment variable {name} is not set")
        try:
            return cls.from_value(value)
        except KeyringError as exc:
            raise KeyringError(f"{name}: {exc}") from None

    @classmethod
    def write_new(cls, path: str | os.PathLike[str]) -> Keyring:
        """Create a new key file (mode 0600, parent folders created) and return its keyring.

        Refuses to overwrite an existing file: losing a key loses the data sealed with it."""
        keyring = cls.generate()
        keyring.write(path, overwrite=False)
        return keyring

    def write(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        """Write `to_json()` to `path` with mode 0600 (atomically replacing it if `overwrite`)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not overwrite:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(self.to_json())
            return
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(self.to_json())
        os.replace(tmp, target)

    def to_json(self) -> str:
        """The keyring as key-file JSON, the index key written out explicitly. Secret!"""
        doc = {
            "active": self._active,
            "keys": {kid: _encode_key(key) for kid, key in self._keys.items()},
            "index_key": _encode_key(self._index_key),
        }
        return json.dumps(doc, indent=2) + "\n"

    def with_new_key(self, kid: str | None = None) -> Keyring:
        """A copy with a fresh random key added and made active; old keys and the index key kept."""
        if kid is None:
            n = len(self._keys) + 1
            while f"k{n}" in self._keys:
                n += 1
            kid = f"k{n}"
        if kid in self._keys:
            raise KeyringError(f"key id {kid!r} is already in the keyring")
        keys = {**self._keys, kid: os.urandom(KEY_BYTES)}
        return Keyring(keys, kid, index_key=self._index_key)

    def with_active(self, kid: str) -> Keyring:
        """A copy whose active (encrypting) key is `kid`."""
        return Keyring(self._keys, kid, index_key=self._index_key)

    # -- inspection -----------------------------------------------------------------------

    @property
    def active(self) -> str:
        return self._active

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def __repr__(self) -> str:
        return f"Keyring(active={self._active!r}, kids={list(self._keys)!r})"

    __str__ = __repr__

    # -- operations -----------------------------------------------------------------------

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """Seal `plaintext` with the active key, bound to `context`: `enc:v1:<kid>:<data>`."""
        aad = _check_context(context)
        if not isinstance(plaintext, str):
            raise TypeError("plaintext must be a str")
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[self._active].encrypt(nonce, plaintext.encode("utf-8"), aad)
        return f"{TOKEN_PREFIX}{self._active}:{_b64url(nonce + sealed)}"

    def decrypt(self, token: str, *, context: str) -> str:
        """Open a token sealed for `context` with any key of the keyring, or raise DecryptionError."""
        aad = _check_context(context)
        if not isinstance(token, str) or not token.startswith("enc:"):
            raise DecryptionError("not an encrypted token (expected 'enc:v1:<kid>:<data>')")
        parts = token.split(":", 3)
        if len(parts) != 4 or parts[1] != "v1":
            version = parts[1] if len(parts) > 1 else "?"
            raise DecryptionError(f"unsupported token version {version!r} (this reader knows v1)")
        kid = token_kid(token)
        aead = self._aead.get(kid)
        if aead is None:
            raise DecryptionError(f"unknown key id {kid!r}: the keyring holds {', '.join(self._keys)}")
        try:
            blob = _unb64url(parts[3])
        except (binascii.Error, ValueError):
            raise DecryptionError("token data is not base64url") from None
        if len(blob) < NONCE_BYTES + _TAG_BYTES:
            raise DecryptionError("token data is too short")
        try:
            data = aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
        except InvalidTag:
            raise DecryptionError(
                f"token does not authenticate under key {kid!r} for context {context!r}: tampered, or sealed for another field"
            ) from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise DecryptionError("decrypted data is not UTF-8 text") from None

    def needs_reencryption(self, token: str) -> bool:
        """True when `token` was sealed with another key than the active one (re-encryption jobs)."""
        return token_kid(token) != self._active

    def blind_index(self, value: str, *, context: str) -> str:
        """HMAC-SHA256 of `value` under the index key, separated by `context`, as 64 hex chars.

        Equal values give equal indexes (that is the point: look records up by them), so index
        only values with enough entropy (ID numbers, accounts), never small enumerable sets."""
        ctx = _check_context(context)
        if not isinstance(value, str):
            raise TypeError("value must be a str")
        message = len(ctx).to_bytes(4, "big") + ctx + value.encode("utf-8")
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()


def _derive_index_key(first_key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=_INDEX_SALT, info=_INDEX_INFO).derive(first_key)


# ---- masking ------------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """Mask a Chinese personal name, keeping the first character: 张三 -> 张*, 欧阳娜娜 -> 欧***."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


# ---- the model type -----------------------------------------------------------------------


class Sealed(BaseModel):
    """A personal value in an event or an API model: its ciphertext and its masked form only.

    JSON: `{"ciphertext": "enc:v1:k1:…", "masked": "6222********1234"}`. `str()` and `repr()`
    show the mask; the plaintext needs the keyring (`open`). Two seals of one value differ (random
    nonce), so compare or look up by a blind index, never by `Sealed` equality."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ciphertext: str = Field(pattern=_TOKEN_RE, description="enc:v1:<kid>:<base64url(nonce, ciphertext, tag)>")
    masked: str = Field(description="the value masked for display, e.g. 6222********1234")

    @classmethod
    def seal(cls, value: str, keyring: Keyring, context: str, mask: Callable[[str], str] = mask_account) -> Sealed:
        """Encrypt `value` for `context` with the keyring's active key and mask it with `mask`."""
        return cls(ciphertext=keyring.encrypt(value, context=context), masked=mask(value))

    def open(self, keyring: Keyring, context: str) -> str:
        """The plaintext; DecryptionError if the keyring or the context does not match."""
        return keyring.decrypt(self.ciphertext, context=context)

    @property
    def kid(self) -> str:
        return token_kid(self.ciphertext)

    def __repr__(self) -> str:
        return f"Sealed(masked={self.masked!r}, kid={self.kid!r})"

    def __str__(self) -> str:
        return self.masked
