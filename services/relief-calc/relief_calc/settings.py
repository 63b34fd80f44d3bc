"""Settings of the relief-calc service: every field can be set as `RELIEF_CALC_<FIELD>` (see eventkit.settings)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from eventkit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="RELIEF_CALC_", extra="ignore")

    service_name: str = "relief-calc"
    # The policy files published at start-up (idempotent by content hash); None: the files shipped
    # with the service (services/relief-calc/policies). Empty string: publish nothing at start-up.
    policy_dir: str | None = None
    assessor_enabled: bool = True
    assessor_batch: int = 100
