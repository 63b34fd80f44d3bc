"""A domain's refusals, as every service raises them: each names the field (or the state) and says
why, in Chinese and English, with a stable machine-readable code. The web layer of each service
turns them into RFC 9457 problems (422, 409, 404)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    field: str
    code: str
    zh: str
    en: str


class Rejected(Exception):
    """A command refused for reasons the caller can fix: every offending field is listed (422)."""

    def __init__(self, issues: list[Issue], *, status: int = 422, slug: str = "validation-failed") -> None:
        super().__init__("; ".join(f"{i.field}: {i.en}" for i in issues))
        self.issues = issues
        self.status = status
        self.slug = slug


class Conflict(Exception):
    """A command that contradicts the recorded state (e.g. a step out of order, a period declared
    twice, a refund approved after it was instructed): 409. `field`, when given, names what the
    caller should look at."""

    def __init__(self, code: str, zh: str, en: str, *, field: str = "") -> None:
        super().__init__(f"{field}: {en}" if field else en)
        self.code = code
        self.field = field
        self.zh = zh
        self.en = en


class NotFound(Exception):
    def __init__(self, what: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.what = what
        self.zh = zh
        self.en = en


def reject(field: str, code: str, zh: str, en: str) -> Rejected:
    """One offending field, as a Rejected to raise."""
    return Rejected([Issue(field, code, zh, en)])
