"""Settings of the subscriptions service: every field can be set as `SUBSCRIPTIONS_<FIELD>` (see
eventkit.settings). Webhook secrets are sealed with the data keyring (`SUBSCRIPTIONS_DATA_KEY_FILE`):
without it no webhook can be registered and nothing is delivered."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from eventkit.settings import ServiceSettings
from subscriptions.domain.schedule import DEFAULT_SCHEDULE_S


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUBSCRIPTIONS_", extra="ignore")

    service_name: str = "subscriptions"
    # SSRF guard: callbacks must resolve to public addresses, over https. Development and tests
    # (receivers on 127.0.0.1) turn these off; production never does.
    allow_private_callbacks: bool = False
    require_https: bool = True
    # waits between attempts, in seconds (JSON list, e.g. SUBSCRIPTIONS_RETRY_SCHEDULE_S='[5, 300, 1800]')
    retry_schedule_s: list[float] = Field(default_factory=lambda: list(DEFAULT_SCHEDULE_S), min_length=1)
    delivery_timeout_s: float = Field(default=10.0, gt=0)
    delivery_worker_enabled: bool = True
    delivery_poll_s: float = Field(default=0.5, gt=0)
    delivery_batch: int = Field(default=50, ge=1)
    delivery_concurrency: int = Field(default=8, ge=1)
    delivery_lease_s: float = Field(default=60.0, gt=0)
