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

    # ---- refunds with the bank -------------------------------------------------------------------
    # Where refunds are instructed (ISO 20022 over HTTP: POST /pain001, GET /status/{e2e}); without
    # it nothing is sent and approved refunds wait.
    bank_url: str | None = None
    bank_timeout_s: float = Field(default=10.0, gt=0)
    # the bureau's account refunds are paid from (pain.001 debtor), its name and its bank
    bank_debtor_account: str = "3206000000000001"
    bank_debtor_name: str = "国家税务总局南通市税务局"
    bank_debtor_agent: str = "102306000001"
    # above this amount a second refund_approver must approve (two-person rule), in fen
    two_person_above_fen: int = Field(default=5_000_000, ge=0)
    # the bank worker: how often it looks for work, how many refunds per round, how long it waits
    # before asking the bank again about an unanswered or unsettled instruction (doubling to the max)
    bank_worker_enabled: bool = True
    bank_worker_poll_s: float = Field(default=0.5, gt=0)
    bank_worker_batch: int = Field(default=50, ge=1)
    bank_worker_concurrency: int = Field(default=8, ge=1)
    bank_status_after_s: float = Field(default=2.0, gt=0)
    bank_status_max_s: float = Field(default=60.0, gt=0)
    bank_lease_s: float = Field(default=60.0, gt=0)
