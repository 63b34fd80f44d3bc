"""Bulk intake (批量申报) files: CSV with one declaration per row, or JSON lines.

CSV columns: `credit_code, fee_period`, then per insurance `<insurance>_headcount` and
`<insurance>_base_fen` (both empty: not declared), and an optional `correction_reason`
(present: 更正申报). JSON lines: one object per line with `credit_code`, `fee_period`, `lines`
(as the single-declaration API) and optional `correction: {"reason": …}`.

Parsing is pure and row by row: a malformed row is that row's error, never the whole file's.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from declaration.domain.declaring import DeclarationInput, EmployeeInput, LineInput
from declaration.domain.issues import Issue

MAX_ROWS = 10_000
INSURANCES = ("pension", "unemployment", "work_injury", "medical", "maternity")
FORMATS = {"text/csv": "csv", "application/x-ndjson": "jsonl", "application/jsonl": "jsonl"}


@dataclass(frozen=True)
class Row:
    number: int  # 1-based data row (CSV header not counted)
    credit_code: str | None
    declaration: DeclarationInput | None
    correction_reason: str | None = None
    issues: list[Issue] = field(default_factory=list)


class FileRejected(Exception):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


def parse(fmt: str, content: bytes) -> list[Row]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRejected("文件不是 UTF-8 编码", f"the file is not UTF-8: {exc}") from exc
    rows = _parse_csv(text) if fmt == "csv" else _parse_jsonl(text)
    if not rows:
        raise FileRejected("文件中没有申报数据", "the file holds no declarations")
    if len(rows) > MAX_ROWS:
        raise FileRejected(f"每次最多上传 {MAX_ROWS} 条", f"at most {MAX_ROWS} rows per upload, got {len(rows)}")
    return rows


def _parse_csv(text: str) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text))
    header = set(reader.fieldnames or ())
    missing = {"credit_code", "fee_period"} - header
    if missing:
        raise FileRejected(f"缺少列 {', '.join(sorted(missing))}", f"missing column(s) {', '.join(sorted(missing))}")
    return [_csv_row(n, raw) for n, raw in enumerate(reader, start=1)]


def _csv_row(n: int, raw: dict[str, str | None]) -> Row:
    def cell(name: str) -> str:
        return (raw.get(name) or "").strip()

    issues: list[Issue] = []
    lines = []
    for ins in INSURANCES:
        heads, base = cell(f"{ins}_headcount"), cell(f"{ins}_base_fen")
        if not heads and not base:
            continue
        values = []
        for name, value in ((f"{ins}_headcount", heads), (f"{ins}_base_fen", base)):
            if not value.isdigit():
                issues.append(Issue(name, "cell.integer", f"{name} 应为非负整数", f"{name} must be a non-negative integer"))
            values.append(int(value) if value.isdigit() else 0)
        lines.append(LineInput(insurance=ins, headcount=values[0], base_fen=values[1]))
    code = cell("credit_code") or None
    if code is None:
        issues.append(Issue("credit_code", "cell.required", "缺少统一社会信用代码", "credit_code is required"))
    if not lines:
        issues.append(Issue("lines", "lines.empty", "至少申报一个险种", "declare at least one insurance"))
    if issues:
        return Row(n, code, None, issues=issues)
    return Row(n, code, DeclarationInput(cell("fee_period"), tuple(lines)), cell("correction_reason") or None)


def _parse_jsonl(text: str) -> list[Row]:
    rows = []
    for n, line in enumerate((raw for raw in text.splitlines() if raw.strip()), start=1):
        try:
            obj = json.loads(line)
            rows.append(_json_row(n, obj))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            rows.append(
                Row(
                    n,
                    None,
                    None,
                    issues=[Issue("(row)", "row.malformed", "该行不是有效的申报 JSON", f"not a valid declaration object: {exc}")],
                )
            )
    return rows


def _json_row(n: int, obj: Any) -> Row:
    if not isinstance(obj, dict):
        raise TypeError("each line must be a JSON object")
    lines = []
    for raw in obj["lines"]:
        employees = tuple(
            EmployeeInput(str(e["id_number"]), str(e["name"]), _int(e["base_fen"])) for e in raw.get("employees") or ()
        )
        lines.append(LineInput(str(raw["insurance"]), _int(raw["headcount"]), _int(raw["base_fen"]), employees))
    correction = obj.get("correction") or {}
    return Row(n, str(obj["credit_code"]), DeclarationInput(str(obj["fee_period"]), tuple(lines)), correction.get("reason"))


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not a non-negative integer")
    return int(value)
