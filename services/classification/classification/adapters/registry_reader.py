"""Tolerant readers of the payer registry events on declaration.events (this service never imports
the declaration service): only the fields the abuse signal needs, everything else ignored.

The declaration service publishes the bank account sealed (`{ciphertext, masked}`, context
`declaration/payer.bank_account`), and today no legal representative or address. The reader also
takes blind indexes of those three (`*_index`, HMAC hex of the normalised value, eventkit.crypto)
should the registry publish them; until then only the bank account is compared, and only where
this service holds the data keyring to open it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from eventkit.crypto import Sealed
from eventkit.events import Event, EventRegistry

BANK_CONTEXT = "declaration/payer.bank_account"
IGNORED_PREFIXES = ("declaration.",)


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Enrollment(_Part):
    since: str  # 参保日期 YYYY-MM-DD


class RegisteredProfile(_Part):
    credit_code: str
    name: str = ""
    region: str = ""
    enrollments: tuple[Enrollment, ...] = ()
    bank_account: Sealed | None = None
    predecessor: str | None = None
    bank_account_index: str | None = None
    legal_representative_index: str | None = None
    address_index: str | None = None


class _Reader(Event):
    model_config = ConfigDict(frozen=True, extra="ignore")


class PayerRegistered(_Reader):
    name = "declaration.PayerRegistered"
    profile: RegisteredProfile


class PayerUpdated(_Reader):
    name = "declaration.PayerUpdated"
    profile: RegisteredProfile


registry_reader = EventRegistry(PayerRegistered, PayerUpdated)
