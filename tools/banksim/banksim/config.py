"""Settings: environment variables ``BANKSIM_*``, over an optional TOML file (``BANKSIM_CONFIG`` or
``banksim serve --config FILE``), over the defaults below. Lists and tables in the environment are
JSON: ``BANKSIM_LATENCY_MS='[20, 200]'``, ``BANKSIM_REJECT_ACCOUNTS='{"0000$": "AC04"}'``."""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

Probability = float


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BANKSIM_", extra="forbid")

    # The bureau's account this bank keeps: the debtor of refunds, the creditor of payers' payments.
    account: str = "3206000000000001"
    account_name: str = "国家税务总局南通市税务局"
    bank_code: str = "102306000001"
    opening_balance_fen: int = 0

    ledger: str = ":memory:"  # or the path of a SQLite file (kept across restarts)
    callback_url: str | None = None  # where pain.002 settlement reports go (None: no callbacks)
    notify_url: str | None = None  # where camt.054 notifications go (default: callback_url)
    callback_format: Literal["xml", "json"] = "xml"
    secret: str = "banksim-dev-secret"  # HMAC-SHA256 key of X-Bank-Signature
    settle_delay_ms: int = Field(default=200, ge=0)
    callback_attempts: int = Field(default=10, ge=1)
    callback_backoff_ms: int = Field(default=200, ge=1)
    callback_timeout_s: float = Field(default=5.0, gt=0)

    # Failure injection. POST /pain001: all of it; GET /status: latency and 5xx; the simulate,
    # statement and summary endpoints never fail.
    latency_ms: tuple[int, int] = (0, 0)
    p_5xx: Probability = Field(default=0.0, ge=0, le=1)  # 503 before anything is processed
    p_timeout: Probability = Field(default=0.0, ge=0, le=1)  # processed, answered after timeout_s
    timeout_s: float = Field(default=30.0, ge=0)
    p_drop: Probability = Field(default=0.0, ge=0, le=1)  # processed, connection closed unanswered
    p_duplicate_callback: Probability = Field(default=0.0, ge=0, le=1)
    p_late_callback: Probability = Field(default=0.0, ge=0, le=1)
    late_callback_ms: int = Field(default=5000, ge=0)
    # Account patterns (regular expressions searched in the creditor's account) and reason codes.
    reject_accounts: dict[str, str] = {"0000$": "AC04", "0001$": "AC01"}  # rejected when instructed
    reject_on_settle: dict[str, str] = {"0002$": "AM04"}  # accepted, then rejected at settlement
    seed: int | None = None  # reproducible failure injection

    @field_validator("reject_accounts", "reject_on_settle")
    @classmethod
    def _patterns(cls, value: dict[str, str]) -> dict[str, str]:
        for pattern, code in value.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"account pattern {pattern!r} is not a regular expression: {exc}") from None
            if re.fullmatch(r"[A-Z0-9]{4}", code) is None:
                raise ValueError(f"reason code {code!r} is not 4 capitals or digits")
        return value

    @model_validator(mode="after")
    def _latency_range(self) -> Settings:
        lo, hi = self.latency_ms
        if not 0 <= lo <= hi:
            raise ValueError("latency_ms must be [min, max] with 0 <= min <= max")
        return self

    @property
    def notification_url(self) -> str | None:
        return self.notify_url or self.callback_url

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = os.environ.get("BANKSIM_CONFIG")
        if path:
            return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=path))
        return (init_settings, env_settings)

    def reject_reason(self, account: str, *, on_settle: bool) -> str | None:
        rules = self.reject_on_settle if on_settle else self.reject_accounts
        return next((code for pattern, code in rules.items() if re.search(pattern, account)), None)
