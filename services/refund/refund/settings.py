"""Settings of the refund service: every field can be set as `REFUND_<FIELD>` (see eventkit.settings)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from eventkit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REFUND_", extra="ignore")

    service_name: str = "refund"
