"""新设骗取减免资质: a payer registered inside a relief window that shares a legal representative,
an address or a bank account with a payer registered before it is flagged for audit.

Whether a pair is flagged depends only on the two payers' registration dates and shared keys, not
on the order their events were read in, so the flags rebuild to the same rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The 2020 relief windows (DOMAIN.md §2.1): the widest, 49号's exemption 2020-02 … 2020-12.
WINDOW_FIRST, WINDOW_LAST = date(2020, 2, 1), date(2020, 12, 31)
KINDS = ("bank_account", "legal_representative", "address")


@dataclass(frozen=True)
class Registered:
    credit_code: str
    registered_on: date
    predecessor: str | None = None


def in_window(day: date) -> bool:
    return WINDOW_FIRST <= day <= WINDOW_LAST


def flagged_pair(a: Registered, b: Registered) -> tuple[Registered, Registered] | None:
    """(new, existing) when one of two payers sharing a key was registered inside the window and
    after the other; None when neither was (both before the window, or registered the same day)."""
    if a.registered_on == b.registered_on:
        return None
    new, existing = (a, b) if a.registered_on > b.registered_on else (b, a)
    return (new, existing) if in_window(new.registered_on) else None


def is_split(new: Registered, existing: Registered) -> bool:
    """The pair is a declared group split (攀钢): still flagged, but shown as such."""
    return new.predecessor == existing.credit_code or existing.predecessor == new.credit_code
