"""The house style of Tepai's spreadsheets: a bold blue header row, frozen panes, a filter."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter


def table(title: str, labels: Sequence[str], rows: Sequence[Sequence[object]], *,
          width: Callable[[int], int] = lambda _: 16, freeze: str = "A2") -> Workbook:
    """One sheet: the header, the rows; `width(column index from 1)` sets each column's width."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(list(labels))
    for row in rows:
        sheet.append(list(row))
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for index in range(1, len(labels) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = width(index)
    sheet.freeze_panes = freeze
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(labels))}{len(rows) + 1}"  # filterable
    return workbook
