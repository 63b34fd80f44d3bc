"""Reading a province's classification file: CSV (UTF-8, or GB 18030 as provinces often export)
or XLSX (the first sheet, via openpyxl), into canonical columns and rows of text."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from classification.domain.issues import Issue, Rejected
from classification.domain.province_file import column_of, missing_columns

CSV_TYPES = ("text/csv", "application/csv")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 200_000


@dataclass(frozen=True)
class Table:
    format: str  # csv | xlsx
    rows: list[tuple[int, dict[str, str]]]  # (1-based data row, canonical column → text)


def _file_error(code: str, zh: str, en: str, field: str = "file") -> Rejected:
    return Rejected([Issue(field, code, zh, en)])


def format_of(content_type: str) -> str:
    media = content_type.split(";", 1)[0].strip().lower()
    if media in CSV_TYPES:
        return "csv"
    if media == XLSX_TYPE:
        return "xlsx"
    raise Rejected(
        [Issue("header.Content-Type", "file.media_type", "仅支持CSV或XLSX文件", f"send text/csv or {XLSX_TYPE}, not {media!r}")],
        status=415,
        slug="unsupported-media-type",
    )


def read_table(data: bytes, fmt: str) -> Table:
    if not data.strip():
        raise _file_error("file.empty", "文件为空", "the file is empty")
    records = _csv_records(data) if fmt == "csv" else _xlsx_records(data)
    header = next(records, None)
    if header is None:
        raise _file_error("file.empty", "文件为空", "the file is empty")
    columns = [column_of(h) for h in header]
    missing = missing_columns(c for c in columns if c)
    if missing:
        raise Rejected(
            [
                Issue(f"file.columns.{c}", "file.column_missing", f"缺少列“{c}”", f"the header has no column {c!r}")
                for c in missing
            ]
        )
    rows: list[tuple[int, dict[str, str]]] = []
    for number, record in enumerate(records, start=1):
        if not any(cell.strip() for cell in record):
            continue  # blank lines and trailing empty sheet rows
        if len(rows) >= MAX_ROWS:
            raise _file_error("file.too_many_rows", f"文件超过{MAX_ROWS}行", f"the file has more than {MAX_ROWS} rows")
        rows.append((number, {c: record[i] if i < len(record) else "" for i, c in enumerate(columns) if c}))
    return Table(fmt, rows)


def _csv_records(data: bytes) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte sequence
        raise _file_error("file.encoding", "文件编码无法识别", "the file is neither UTF-8 nor GB 18030")
    return iter(csv.reader(io.StringIO(text, newline="")))


def _xlsx_records(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _file_error("file.xlsx_invalid", "不是有效的XLSX文件", f"not a valid XLSX file ({type(exc).__name__})") from None
    sheet = book.worksheets[0]
    rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return iter(rows)


def _cell(value: Any) -> str:
    """A cell as the text a CSV would carry: 2019.0 → '2019', 1500.5 → '1500.5', dates ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        exact = Decimal(repr(value))
        return format(exact.quantize(Decimal(1)), "f") if exact == exact.to_integral_value() else format(exact.normalize(), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()
