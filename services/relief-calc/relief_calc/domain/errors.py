"""Errors of the relief domain, each with a reason in Chinese (``.zh``) and in English (``.en``).

Like :class:`refdata.errors.RefdataError`, every error says precisely what is wrong (which file,
which field, which value), so an API can show it as it is.
"""

from __future__ import annotations


class ReliefError(ValueError):
    """Base of every relief-domain error: ``.zh`` for the bureau and payers, ``.en`` for logs."""

    def __init__(self, zh: str, en: str, *, field: str | None = None) -> None:
        super().__init__(f"{en} ({zh})")
        self.zh = zh
        self.en = en
        self.field = field


class PolicyDataError(ReliefError):
    """A policy file (or a set of policies) that is malformed or inconsistent: never a payer's error."""


class UnknownPolicy(ReliefError):
    """A policy id that the policy set does not hold (e.g. the target of an ``overrides``)."""


class InvalidRequest(ReliefError):
    """An assessment or preview request the caller can fix (``.field`` names the offending field)."""
