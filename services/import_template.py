"""`tepai template KIND`: a blank import table for each kind `tepai import` reads, its header row in
the reader's language and one example row.

The headers are the catalogue's column labels (`importer.column.*`, or `importer.header.<kind>.*`
where a kind calls a column otherwise: a person's 姓名, not 名称), and each is one of the names the
importer accepts for that column (tests/test_import_template.py checks both languages). The
example row's words come from the catalogue too (`template.<kind>.*`), its county from the policy
and its year from the caller, so the row imports cleanly as it is.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl.utils import get_column_letter

from domain.policy import Policy
from domain.records import COLUMNS, KIND_ORDER, Kind, date_cell
from locales import Translator
from services.demo_data import demo_counties
from services.xlsx import display_width, style_header, workbook_of


def header(t: Translator, kind: Kind, column: str) -> str:
    own = f"importer.header.{kind.value}.{column}"
    return t(own) if t.has(own) else t(f"importer.column.{column}")


def sheet_title(t: Translator, kind: Kind) -> str:
    """The sheet's name says its kind (`tepai import` reads a workbook's sheets by their names)."""
    return t(f"template.sheet.{kind.value}")


def template_rows(t: Translator, kind: Kind, policy: Policy, year: int) -> list[list[object]]:
    """The header row and the example row (text cells; dates and numbers as the importer reads them)."""
    county = policy.counties[0] if policy.counties else ""
    latitude, longitude = demo_counties(policy.key).get(county, (0.0, 0.0))
    values = {"county": county, "year": year, "latitude": f"{latitude:.4f}", "longitude": f"{longitude:.4f}"}
    columns = COLUMNS[kind]
    return [[header(t, kind, c.name) for c in columns],
            [t(f"template.{kind.value}.{c.name}", **values) for c in columns]]


def template_csv(t: Translator, kind: Kind, policy: Policy, year: int) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(template_rows(t, kind, policy, year))
    return out.getvalue()


def template_workbook(t: Translator, kinds: Sequence[Kind], policy: Policy, year: int) -> bytes:
    """One sheet per kind, in the order `tepai import` stores them (later kinds name earlier ones)."""
    sheets = {sheet_title(t, kind): _typed(kind, template_rows(t, kind, policy, year))
              for kind in sorted(kinds, key=KIND_ORDER.index)}
    workbook = workbook_of(sheets)
    for sheet in workbook.worksheets:
        style_header(sheet)
        # Not fit_widths: it would break a long header over two lines, which the importer would
        # no longer recognise. Each column as wide as its header or example, within reason.
        for column in sheet.iter_cols(max_row=2):
            widest = max(display_width(cell.value) for cell in column if cell.value is not None)
            sheet.column_dimensions[get_column_letter(column[0].column)].width = min(widest + 2, 40)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _typed(kind: Kind, rows: list[list[object]]) -> list[list[object]]:
    """The example's dates as date cells and numbers as number cells, as a spreadsheet keeps them."""
    head, example = rows
    typed: list[object] = []
    for column, text in zip(COLUMNS[kind], example):
        if column.parse is date_cell and text:
            typed.append(date_cell(text))
        elif column.problem in ("number", "capacity", "year") and text:
            typed.append(float(text) if "." in str(text) else int(text))
        else:
            typed.append(text)
    return [head, typed]
