"""The house style of Tepai's spreadsheets: a bold blue header row, frozen panes, a filter,
columns as wide as their content, and a print set-up (A4 landscape, fit to width, header repeated).

Every workbook Tepai writes goes through `append_rows`, which stores text that a spreadsheet
would read as a formula (OWASP's CSV-injection list: =, +, -, @, tab, CR) as text: typed by an
enterprise or imported, a need's field must never run as `=HYPERLINK(…)` on a bureau's computer.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from unicodedata import east_asian_width

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
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


def display_width(value: object) -> int:
    """Columns a value takes on screen: a CJK character is two, anything else one."""
    return sum(2 if east_asian_width(ch) in "WF" else 1 for ch in str(value))


def two_lines(label: str) -> str:
    """A label on two lines, broken between words nearest the middle: at a space, or for Chinese
    between the words jieba finds (特派员/编号, 技术服务/成效); short labels stay whole."""
    if len(label) <= 3:
        return label
    if " " in label:
        cuts = [i for i, ch in enumerate(label) if ch == " "]
    else:
        import jieba  # the matching's segmenter; loaded only when a workbook needs it

        cuts, at = [], 0
        for word in jieba.lcut(label)[:-1]:
            at += len(word)
            cuts.append(at)
    cuts = [i for i in cuts if label[i] not in ")）" and label[i - 1] not in "(（"]  # brackets stay whole
    if not cuts:
        return label
    cut = min(cuts, key=lambda i: (abs(i - len(label) / 2), -i))
    return f"{label[:cut].rstrip()}\n{label[cut:].lstrip()}"


def _width(value: object) -> int:
    return max(display_width(line) for line in (str(value).splitlines() or [""]))


def _shown(cell: Cell) -> object:
    """Roughly what the cell shows: a number in its format (1 as "100.0%", not "1")."""
    value = cell.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    decimals = len(cell.number_format.partition(".")[2].rstrip("%")) if "." in cell.number_format else 0
    if cell.number_format.endswith("%"):
        return f"{value * 100:.{decimals}f}%"
    if cell.number_format == "General":
        return f"{value:.6g}"
    return f"{value:.{decimals}f}"


def fit_widths(sheet: Worksheet, least: int = 6, most: int = 40, header_rows: int = 1) -> None:
    """Each column as wide as its longest cell (unit names in full), within least..most; longer
    text wraps. A header much wider than its column's values goes on two lines, broken between
    words, so a long label does not widen a column of small numbers (the table must fit a page)."""
    body: dict[int, int] = {}
    for row in sheet.iter_rows(min_row=header_rows + 1):
        for cell in row:
            if cell.value is not None and not isinstance(cell, MergedCell):
                body[cell.column] = max(body.get(cell.column, 0), _width(_shown(cell)))
    widths = dict(body)
    for row in sheet.iter_rows(max_row=header_rows):
        for cell in row:
            if cell.value is None or isinstance(cell, MergedCell):
                continue
            if isinstance(cell.value, str) and _width(cell.value) > body.get(cell.column, 0) + 2:
                cell.value = two_lines(cell.value)
            widths[cell.column] = max(widths.get(cell.column, 0), _width(cell.value))
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, least), most)
        if width + 2 > most:  # wraps: long text stays readable in a bounded column
            for (cell,) in sheet.iter_rows(min_row=header_rows + 1, min_col=column, max_col=column):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    # Spreadsheets do not grow a row for text written by a program: give the header its lines.
    for row in range(1, header_rows + 1):
        lines = max((str(c.value).count("\n") + 1 for c in sheet[row] if c.value is not None), default=1)
        sheet.row_dimensions[row].height = 15 * lines + 3


def print_setup(sheet: Worksheet, title: str, header_rows: int = 1) -> None:
    """A4 landscape, every column on one page's width, the header repeated on each page, the
    title on top and page numbers below."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as the rows need
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_title_rows = f"1:{header_rows}"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6, header=0.25, footer=0.25)
    sheet.oddHeader.center.text = title.replace("&", "&&")
    sheet.oddFooter.center.text = "&P / &N"


def style_header(sheet: Worksheet, row: int = 1) -> None:
    for cell in sheet[row]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(wrap_text=True, vertical="center")


def table(title: str, labels: Sequence[str], rows: Sequence[Sequence[object]], *,
          formats: Mapping[int, str] | None = None, freeze: str = "A2") -> Workbook:
    """One sheet: the header, the rows (filterable), columns fitted to their content, set up
    for printing; `formats` maps a column index (from 1) to a number format ("0.0%")."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    append_rows(sheet, [labels, *rows])
    style_header(sheet)
    for column, number_format in (formats or {}).items():
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = number_format
    fit_widths(sheet)
    sheet.freeze_panes = freeze
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(labels))}{len(rows) + 1}"  # filterable
    print_setup(sheet, title)
    return workbook
