"""Settings of the classification service: every field can be set as `CLASSIFICATION_<FIELD>` (see eventkit.settings)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from eventkit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CLASSIFICATION_", extra="ignore")

    service_name: str = "classification"
