"""Validation findings (申报数据校验): each names the field and says why, in Chinese and English (the kernel's refusals, eventkit.issues)."""

from eventkit.issues import Conflict, Issue, NotFound, Rejected

__all__ = ["Conflict", "Issue", "NotFound", "Rejected"]
