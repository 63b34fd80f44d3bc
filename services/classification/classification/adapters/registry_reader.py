"""Tolerant readers of the payer registry events on declaration.events (this service never imports
the declaration service): only the fields the abuse signal needs, everything else ignored.

The declaration service publishes, with each registration, blind indexes (`*_index`, HMAC hex of
the normalised value, eventkit.crypto) of the bank account, the legal representative's ID number
and the registered address; the values themselves only sealed, or not at all. Older registrations
without `bank_account_index` are compared by opening the sealed account (context
`declaration/payer.bank_account`) where this service holds the data keyring."""

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
