"""Validation findings (申报数据校验): each names the field and says why, in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    field: str
    code: str
    zh: str
    en: str


class Rejected(Exception):
    """A command refused for reasons the caller can fix: every offending field is listed."""

    def __init__(self, issues: list[Issue], *, status: int = 422, slug: str = "validation-failed") -> None:
        super().__init__("; ".join(f"{i.field}: {i.en}" for i in issues))
        self.issues = issues
        self.status = status
        self.slug = slug


class Conflict(Exception):
    """A command that contradicts the recorded state (e.g. declaring a period twice without saying
    it corrects); answered with 409."""

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
