"""Refusals of the refund domain: each names the field or the state and says why, in Chinese and English (the kernel's refusals, eventkit.issues)."""

from eventkit.issues import Conflict, Issue, NotFound, Rejected, reject

__all__ = ["Conflict", "Issue", "NotFound", "Rejected", "reject"]
