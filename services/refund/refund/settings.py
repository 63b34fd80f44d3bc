"""Settings of the refund service: every field can be set as `REFUND_<FIELD>` (see eventkit.settings)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from eventkit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REFUND_", extra="ignore")

    service_name: str = "refund"
    # The secret a bank signs its callbacks with (HMAC-SHA256, header X-Bank-Signature); set it
    # from a secret store. Without it the callback endpoint answers 503.
    bank_callback_secret: str | None = Field(default=None, repr=False)
