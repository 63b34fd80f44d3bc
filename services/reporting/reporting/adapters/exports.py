"""Downloads of a report table: CSV (UTF-8 with a byte-order mark, so that Excel shows the Chinese
headers) and XLSX (openpyxl). Both carry exactly the printed cells of `Table.cells()`; in the XLSX
an amount is a number cell written from its exact decimal text (元 with format ``0.00``, 万元 with
``0.0000``), a count an integer, everything else text, so the workbook sums in Excel and reads
back equal to the CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from reporting.domain.table import Column, Table

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMATS = {"yuan": "0.00", "wan_yuan": "0.0000", "count": "0"}


def to_csv(table: Table) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(table.headers())
    writer.writerows(table.cells())
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _value(column: Column, text: str) -> Decimal | int | str:
    if not text or column.kind not in _FORMATS:
        return text
    return int(text) if column.kind == "count" else Decimal(text)


def to_xlsx(table: Table) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = table.title[:31]
    ws.append(table.headers())
    for c in ws[1]:
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center", wrap_text=True)
    for printed in table.cells():
        ws.append([_value(col, text) for col, text in zip(table.columns, printed, strict=True)])
    for idx, col in enumerate(table.columns, start=1):
        if col.kind in _FORMATS:
            for (c,) in ws.iter_rows(min_row=2, min_col=idx, max_col=idx):
                c.number_format = _FORMATS[col.kind]
        ws.column_dimensions[get_column_letter(idx)].width = max(10, len(col.header) * 2 + 2)
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def content_disposition(title: str, suffix: str) -> str:
    """``attachment`` with the Chinese file name (RFC 6266 / RFC 5987) and an ASCII fallback."""
    return f"attachment; filename=\"report.{suffix}\"; filename*=UTF-8''{quote(f'{title}.{suffix}')}"
