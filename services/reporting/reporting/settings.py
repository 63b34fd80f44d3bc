"""Settings of the reporting service: every field can be set as `REPORTING_<FIELD>` (see
eventkit.settings), e.g. `REPORTING_DATABASE_URL`, `REPORTING_TOPIC_PARTITIONS`."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from eventkit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")

    service_name: str = "reporting"
