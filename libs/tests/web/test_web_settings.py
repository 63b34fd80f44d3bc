"""ServiceSettings: per-service prefixes, shared unprefixed fallbacks, the embedded default."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_settings import SettingsConfigDict

from eventkit.settings import ServiceSettings


class DeclarationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DECLARATION_")

    service_name: str = "declaration"
    page_size: int = 50


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "AUTH_JWT_PUBLIC_KEY", "AUTH_JWT_PUBLIC_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    s = DeclarationSettings()
    assert s.database_url == f"sqlite+aiosqlite:///{tmp_path}/var/declaration.db"
    assert s.sqlite_path() == tmp_path / "var" / "declaration.db"
    s.ensure_local_dirs()
    assert (tmp_path / "var").is_dir()
    assert (s.kafka_bootstrap_servers, s.topic_partitions, s.topic_replication_factor) == ("127.0.0.1:9092", 12, 1)
    assert (s.auth_jwt_issuer, s.auth_jwt_audience, s.log_level) == ("relief-platform", "relief-platform", "INFO")
    assert s.consumer_enabled and s.relay_enabled and s.jwt_public_key_pem() is None


def test_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DECLARATION_DATABASE_URL", "postgresql://relief@db/declaration")
    monkeypatch.setenv("DECLARATION_PAGE_SIZE", "10")
    monkeypatch.setenv("DECLARATION_RELAY_ENABLED", "false")
    monkeypatch.setenv("REFUND_DATABASE_URL", "postgresql://relief@db/refund")
    s = DeclarationSettings()
    assert s.database_url == "postgresql://relief@db/declaration" and s.sqlite_path() is None
    assert s.page_size == 10 and s.relay_enabled is False


def test_unprefixed_fallbacks_and_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key_file = tmp_path / "jwt-public.pem"
    key_file.write_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker:9092")
    monkeypatch.setenv("AUTH_JWT_PUBLIC_KEY_FILE", str(key_file))
    s = DeclarationSettings()
    assert s.kafka_bootstrap_servers == "broker:9092"
    assert s.jwt_public_key_pem() == key_file.read_text()
    monkeypatch.setenv("DECLARATION_KAFKA_BOOTSTRAP_SERVERS", "own:9092")
    monkeypatch.setenv("AUTH_JWT_PUBLIC_KEY", "-----BEGIN PUBLIC KEY-----\\nBBBB\\n-----END PUBLIC KEY-----")
    s = DeclarationSettings()
    assert s.kafka_bootstrap_servers == "own:9092"
    assert s.jwt_public_key_pem() == "-----BEGIN PUBLIC KEY-----\nBBBB\n-----END PUBLIC KEY-----"
