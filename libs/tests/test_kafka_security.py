"""How a service names its Kafka identity: checked at start-up, the password kept out of sight."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventkit.kafka_security import KafkaSecurity, KafkaSecurityError
from eventkit.settings import ServiceSettings


class _Settings(ServiceSettings):
    service_name: str = "svc"


def test_plaintext_needs_nothing_and_adds_no_options() -> None:
    assert KafkaSecurity().client_options() == {}


def test_scram_over_plaintext_names_the_user_and_keeps_the_password_out_of_repr(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret-pw\n")
    security = KafkaSecurity.of("sasl_plaintext", "scram-sha-512", "service-refund", password_file=str(secret))
    assert security.client_options() == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "service-refund",
        "sasl_plain_password": "s3cret-pw",
    }
    assert "s3cret-pw" not in repr(security)


def test_tls_brings_a_context() -> None:
    options = KafkaSecurity.of("SASL_SSL", username="u", password="p").client_options()
    assert options["security_protocol"] == "SASL_SSL" and options["ssl_context"] is not None


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"protocol": "SASL_PLAIN"}, "KAFKA_SECURITY_PROTOCOL"),
        ({"protocol": "SASL_PLAINTEXT", "username": "u"}, "KAFKA_SASL_USERNAME"),
        ({"protocol": "SASL_PLAINTEXT", "username": "u", "password": "p", "mechanism": "GSSAPI"}, "KAFKA_SASL_MECHANISM"),
        ({"protocol": "SASL_PLAINTEXT", "username": "u", "password_file": "/nonexistent/pw"}, "KAFKA_SASL_PASSWORD_FILE"),
    ],
)
def test_a_setting_that_cannot_work_is_refused_by_name(kwargs: dict[str, str], named: str) -> None:
    with pytest.raises(KafkaSecurityError, match=named):
        KafkaSecurity.of(**kwargs)


def test_the_settings_read_the_plain_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "service-declaration")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "pw")
    settings = _Settings()
    assert "pw" not in repr(settings)
    assert settings.kafka_security().client_options()["sasl_plain_username"] == "service-declaration"
