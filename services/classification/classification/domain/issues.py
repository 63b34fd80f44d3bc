"""Refusals the classification domain raises: each names the field and says why, in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    field: str
    code: str
    zh: str
    en: str


class Rejected(Exception):
    """A request refused for reasons the caller can fix: every offending field is listed (422)."""

    def __init__(self, issues: list[Issue], *, status: int = 422, slug: str = "validation-failed") -> None:
        super().__init__("; ".join(f"{i.field}: {i.en}" for i in issues))
        self.issues = issues
        self.status = status
        self.slug = slug


class Conflict(Exception):
    """A command that contradicts the recorded state (a step out of order, a second filing): 409."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.code = code
        self.zh = zh
        self.en = en


class NotFound(Exception):
    def __init__(self, what: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.what = what
        self.zh = zh
        self.en = en
