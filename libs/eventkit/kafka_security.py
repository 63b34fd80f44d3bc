"""How a service authenticates to Kafka: plaintext on one machine, SASL/SCRAM (optionally over TLS)
where the cluster enforces ACLs.

With `authorization: simple` on the cluster (deploy/k8s/base/kafka/kafka.yaml) every client needs
an identity, and each service connects as its own user whose ACLs allow exactly its topics and
consumer groups (deploy/k8s/base/kafka/service-users.yaml). The settings (eventkit.settings) name
the protocol, the mechanism and the credentials; `build_runtime` calls `configure` once per
process, and every client the kernel makes (producer, consumers, admin, rebuild and restore
readers) takes its connection options from `client_options()`. One process, one identity.

    KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT   # or SASL_SSL; PLAINTEXT (the default) needs nothing else
    KAFKA_SASL_MECHANISM=SCRAM-SHA-512
    KAFKA_SASL_USERNAME=refund
    KAFKA_SASL_PASSWORD_FILE=/var/run/secrets/kafka/password
    KAFKA_SSL_CAFILE=/var/run/secrets/kafka-ca/ca.crt   # with SASL_SSL or SSL

The password never appears in a repr or a log line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.helpers import create_ssl_context

__all__ = ["PROTOCOLS", "KafkaSecurity", "KafkaSecurityError", "client_options", "configure", "current"]

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")


class KafkaSecurityError(ValueError):
    """A Kafka security setting that cannot work, named by its environment variable."""


@dataclass(frozen=True)
class KafkaSecurity:
    protocol: str = "PLAINTEXT"
    mechanism: str = "SCRAM-SHA-512"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    cafile: str | None = None

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise KafkaSecurityError(f"KAFKA_SECURITY_PROTOCOL must be one of {', '.join(PROTOCOLS)}, got {self.protocol!r}")
        if self.sasl:
            if self.mechanism not in MECHANISMS:
                raise KafkaSecurityError(f"KAFKA_SASL_MECHANISM must be one of {', '.join(MECHANISMS)}, got {self.mechanism!r}")
            if not self.username or not self.password:
                raise KafkaSecurityError(f"{self.protocol} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD(_FILE)")

    @property
    def sasl(self) -> bool:
        return self.protocol.startswith("SASL_")

    @property
    def tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    @classmethod
    def of(
        cls,
        protocol: str = "PLAINTEXT",
        mechanism: str = "SCRAM-SHA-512",
        username: str | None = None,
        password: str | None = None,
        password_file: str | None = None,
        cafile: str | None = None,
    ) -> KafkaSecurity:
        """From settings: the password file, when given, wins over the inline password."""
        if password_file:
            try:
                password = Path(password_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise KafkaSecurityError(f"KAFKA_SASL_PASSWORD_FILE {password_file} cannot be read: {exc}") from None
        return cls(protocol.upper(), mechanism.upper(), username or None, password or None, cafile or None)

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient."""
        if self.protocol == "PLAINTEXT":
            return {}
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.tls:
            options["ssl_context"] = create_ssl_context(cafile=self.cafile)
        if self.sasl:
            options |= {
                "sasl_mechanism": self.mechanism,
                "sasl_plain_username": self.username,
                "sasl_plain_password": self.password,
            }
        return options


_current = KafkaSecurity()
_options: dict[str, Any] = {}


def configure(security: KafkaSecurity) -> None:
    """Set the identity every Kafka client of this process uses (its options built once: the CA
    file is read here, not by every client)."""
    global _current, _options
    _current, _options = security, security.client_options()


def current() -> KafkaSecurity:
    return _current


def client_options() -> dict[str, Any]:
    return dict(_options)
