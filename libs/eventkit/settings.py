"""Settings every service shares, read from the environment.

Each service subclasses `ServiceSettings`, gives it its own name and environment prefix, and adds
its own fields::

    from pydantic_settings import SettingsConfigDict
    from eventkit.settings import ServiceSettings

    class DeclarationSettings(ServiceSettings):
        model_config = SettingsConfigDict(env_prefix="DECLARATION_")

        service_name: str = "declaration"
        bank_timeout_s: float = 5.0          # a service-specific field: DECLARATION_BANK_TIMEOUT_S

    settings = DeclarationSettings()

With that, `DECLARATION_DATABASE_URL=postgresql://relief@db/declaration` switches the service
from its embedded SQLite file (`var/declaration.db` under the working directory, which is the
repository root for `make run`) to PostgreSQL, `DECLARATION_LOG_LEVEL=DEBUG` raises its log
level, and so on for every field below.

A few values are the same for every service on a machine, so they are also read from plain,
unprefixed names when the prefixed one is not set: `KAFKA_BOOTSTRAP_SERVERS`,
`AUTH_JWT_PUBLIC_KEY` and `AUTH_JWT_PUBLIC_KEY_FILE`, and the Kafka identity (`KAFKA_SECURITY_PROTOCOL`,
`KAFKA_SASL_MECHANISM`, `KAFKA_SASL_USERNAME`, `KAFKA_SASL_PASSWORD(_FILE)`, `KAFKA_SSL_CAFILE`; see
eventkit.kafka_security). The prefixed name wins when both are set.

The data keyring (eventkit.crypto: encryption of ID numbers and bank accounts) comes from
`<PREFIX>DATA_KEY_FILE` (a key file) or `<PREFIX>DATA_KEY` (the same text inline), with plain
`DATA_KEY_FILE` / `DATA_KEY` as fallbacks. The two travel as a pair: when either prefixed name
is set, neither plain one is read, so a service given its own key never picks up the machine's.
A service that must not see plaintext simply gets neither (`settings.keyring()` is then None).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from eventkit.crypto import Keyring
from eventkit.kafka_security import KafkaSecurity

# Field name -> the unprefixed environment variable read when the prefixed one is absent.
_PLAIN_ENV_FALLBACKS = {
    "kafka_bootstrap_servers": "KAFKA_BOOTSTRAP_SERVERS",
    "kafka_security_protocol": "KAFKA_SECURITY_PROTOCOL",
    "kafka_sasl_mechanism": "KAFKA_SASL_MECHANISM",
    "kafka_sasl_username": "KAFKA_SASL_USERNAME",
    "kafka_sasl_password": "KAFKA_SASL_PASSWORD",
    "kafka_sasl_password_file": "KAFKA_SASL_PASSWORD_FILE",
    "kafka_ssl_cafile": "KAFKA_SSL_CAFILE",
    "auth_jwt_public_key": "AUTH_JWT_PUBLIC_KEY",
    "auth_jwt_public_key_file": "AUTH_JWT_PUBLIC_KEY_FILE",
}
# Same, for fields that fall back only as a group: if any of them is set, none falls back.
_PLAIN_ENV_FALLBACK_GROUPS = (
    {
        "data_key_file": "DATA_KEY_FILE",
        "data_key": "DATA_KEY",
    },
)


class ServiceSettings(BaseSettings):
    """The base of every service's settings (see the module docstring for the pattern)."""

    model_config = SettingsConfigDict(env_prefix="EVENTKIT_", extra="ignore")

    service_name: str
    service_version: str = "0.1.0"
    # Empty means the embedded default: sqlite file var/<service_name>.db under the cwd.
    database_url: str = ""
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Who the service is to Kafka where the cluster enforces ACLs (eventkit.kafka_security)
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = Field(default=None, repr=False)  # secret: kept out of repr()
    kafka_sasl_password_file: str | None = None
    kafka_ssl_cafile: str | None = None
    topic_partitions: int = 12
    topic_replication_factor: int = 1
    auth_jwt_public_key: str | None = None
    auth_jwt_public_key_file: str | None = None
    auth_jwt_issuer: str = "relief-platform"
    auth_jwt_audience: str = "relief-platform"
    auth_leeway_s: int = 30
    idempotency_lease_s: float = 60.0
    log_level: str = "INFO"
    consumer_enabled: bool = True
    relay_enabled: bool = True
    # The data keyring (see the module docstring and eventkit.crypto); the file wins over the value.
    data_key_file: str | None = None
    data_key: str | None = Field(default=None, repr=False)  # secret: kept out of repr()

    @model_validator(mode="before")
    @classmethod
    def _plain_env_fallbacks(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for field, env_name in _PLAIN_ENV_FALLBACKS.items():
            if data.get(field) in (None, "") and os.environ.get(env_name):
                data[field] = os.environ[env_name]
        for group in _PLAIN_ENV_FALLBACK_GROUPS:
            if all(data.get(field) in (None, "") for field in group):
                for field, env_name in group.items():
                    if os.environ.get(env_name):
                        data[field] = os.environ[env_name]
        return data

    @model_validator(mode="after")
    def _default_database(self) -> ServiceSettings:
        if not self.database_url:
            path = Path.cwd() / "var" / f"{self.service_name}.db"
            self.database_url = f"sqlite+aiosqlite:///{path}"
        return self

    def kafka_security(self) -> KafkaSecurity:
        """The Kafka identity of the service (the password file wins over the inline value)."""
        return KafkaSecurity.of(
            self.kafka_security_protocol,
            self.kafka_sasl_mechanism,
            self.kafka_sasl_username,
            self.kafka_sasl_password,
            self.kafka_sasl_password_file,
            self.kafka_ssl_cafile,
        )

    def sqlite_path(self) -> Path | None:
        """The database file when the service runs on SQLite, else None."""
        for prefix in ("sqlite+aiosqlite:///", "sqlite:///"):
            if self.database_url.startswith(prefix):
                rest = self.database_url[len(prefix) :].split("?", 1)[0]
                return Path(rest) if rest and rest != ":memory:" else None
        return None

    def ensure_local_dirs(self) -> None:
        """Create the directory of the SQLite file (SQLite creates the file, not its folder)."""
        path = self.sqlite_path()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def jwt_public_key_pem(self) -> str | None:
        """The PEM public key tokens are verified with: inline value first, else the file."""
        if self.auth_jwt_public_key:
            return self.auth_jwt_public_key.replace("\\n", "\n")
        if self.auth_jwt_public_key_file:
            return Path(self.auth_jwt_public_key_file).read_text(encoding="utf-8")
        return None

    def keyring(self) -> Keyring | None:
        """The data keyring: from the key file first, else the inline value; None if neither.

        A configured but unreadable or malformed key raises eventkit.crypto.KeyringError. The file
        is read on every call: call it once at startup and keep the result."""
        if self.data_key_file:
            return Keyring.from_file(self.data_key_file)
        if self.data_key:
            return Keyring.from_value(self.data_key)
        return None
