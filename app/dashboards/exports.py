"""CSV (one long table: section, key, label, metric, value) and XLSX (one sheet per table)."""

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from app.dashboards.tables import Table, Value

CSV_HEADER = ("section", "key", "label", "metric", "value")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BOLD = Font(bold=True)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    """Text a spreadsheet will not run as a formula (labels come from editable data)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _cell(value: Value) -> Value:
    return _text(value) if isinstance(value, str) else value


def to_csv(tables: Sequence[Table], about: Sequence[tuple[str, str]]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the accents right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for key, text in about:
        writer.writerow(("about", key, "", "", _text(text)))
    for table in tables:
        for key, label, values in table.rows:
            for metric, value in zip(table.metrics, values, strict=True):
                writer.writerow(
                    (
                        table.name,
                        _text(key),
                        _text(label or ""),
                        metric,
                        "" if value is None else value,
                    )
                )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _header(sheet: WriteOnlyWorksheet, names: Sequence[str]) -> None:
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = _BOLD
        cells.append(cell)
    sheet.append(cells)


def to_xlsx(tables: Sequence[Table], about: Sequence[tuple[str, str]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("About")
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 80
    for key, text in about:
        sheet.append([key, _text(text)])
    for table in tables:
        sheet = workbook.create_sheet(table.title[:31])
        headers = [table.key, *([table.label] if table.label else []), *table.metrics]
        sheet.column_dimensions["A"].width = 18
        if table.label:
            sheet.column_dimensions["B"].width = 60
        _header(sheet, headers)
        for key, label, values in table.rows:
            sheet.append(
                [
                    _text(key),
                    *([_text(label or "")] if table.label else []),
                    *(_cell(v) for v in values),
                ]
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
