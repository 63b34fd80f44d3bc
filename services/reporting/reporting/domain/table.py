"""A report as a table: columns with their Chinese headers and kinds, and rows of raw values
(amounts in integer fen). The same table is answered as JSON (raw values), CSV and XLSX (the
printed cells of `cells`), so the three never disagree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from reporting.domain.money import NOT_APPLICABLE, change_percent, percent, wan_yuan, yuan

Kind = Literal["text", "count", "yuan", "wan_yuan", "rate", "change"]
NUMERIC_KINDS = frozenset({"count", "yuan", "wan_yuan"})


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # as printed on the form (Chinese)
    kind: Kind = "text"


@dataclass(frozen=True)
class Table:
    title: str  # the form's name, also the download's file name
    columns: tuple[Column, ...]
    rows: tuple[Mapping[str, Any], ...]
    totals: Mapping[str, Any] | None = None  # a 合计 row (amount and count columns summed)
    meta: Mapping[str, Any] = field(default_factory=dict)

    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def cells(self) -> list[list[str]]:
        """The printed rows (and the 合计 row last, when there is one)."""
        rows = [[cell(c, row.get(c.key)) for c in self.columns] for row in self.rows]
        if self.totals is not None:
            rows.append([cell(c, self.totals.get(c.key)) for c in self.columns])
        return rows


def cell(column: Column, value: Any) -> str:
    if value is None:
        return ""
    if column.kind == "yuan":
        return yuan(value)
    if column.kind == "wan_yuan":
        return wan_yuan(value)
    if column.kind == "rate":
        return percent(value)
    if column.kind == "change":
        return str(value) if isinstance(value, str) else NOT_APPLICABLE
    return str(value)


def summed(columns: Sequence[Column], rows: Sequence[Mapping[str, Any]], label: tuple[str, str]) -> dict[str, Any]:
    """The 合计 row: every amount and count column summed to the fen; `label` = (column key, text)."""
    out: dict[str, Any] = {c.key: sum(int(r.get(c.key) or 0) for r in rows) for c in columns if c.kind in NUMERIC_KINDS}
    out[label[0]] = label[1]
    return out


def change(current: int, previous: int | None) -> str:
    return NOT_APPLICABLE if previous is None else change_percent(current, previous)
