"""The house style of Tepai's spreadsheets: a bold blue header row, frozen panes, a filter.

Every workbook Tepai writes goes through `append_rows`, which stores text that a spreadsheet
would read as a formula (OWASP's CSV-injection list: =, +, -, @, tab, CR) as text: typed by an
enterprise or imported, a need's field must never run as `=HYPERLINK(…)` on a bureau's computer.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def append_rows(sheet: Worksheet, rows: Iterable[Sequence[object]]) -> None:
    """Append each row; a text cell that starts like a formula is stored as text. The cell keeps
    its exact value (no visible apostrophe) and carries Excel's quote prefix, so editing it in
    Excel or LibreOffice does not turn it into a formula either."""
    for row in rows:
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type = "s"
                cell.quotePrefix = True


def workbook_of(sheets: Mapping[str, Sequence[Sequence[object]]]) -> Workbook:
    """A plain workbook, one sheet per title, rows as given (the demo's data file)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        append_rows(workbook.create_sheet(title), rows)
    return workbook


def table(title: str, labels: Sequence[str], rows: Sequence[Sequence[object]], *,
          width: Callable[[int], int] = lambda _: 16, freeze: str = "A2") -> Workbook:
    """One sheet: the header, the rows; `width(column index from 1)` sets each column's width."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    append_rows(sheet, [labels, *rows])
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for index in range(1, len(labels) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = width(index)
    sheet.freeze_panes = freeze
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(labels))}{len(rows) + 1}"  # filterable
    return workbook
