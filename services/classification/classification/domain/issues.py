"""Refusals the classification domain raises: each names the field and says why, in Chinese and English (the kernel's refusals, eventkit.issues)."""

from eventkit.issues import Conflict, Issue, NotFound, Rejected

__all__ = ["Conflict", "Issue", "NotFound", "Rejected"]
