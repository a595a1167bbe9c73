"""The public notice list (公示名单) as XLSX: one row per pairing on notice or held by an objection."""
from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from locales import Translator
from storage.models import Pairing

COLUMNS = ("pairing", "commissioner_code", "commissioner", "title", "unit", "enterprise", "county", "field",
           "targets", "notice_start", "notice_end", "status")


def rows(t: Translator, pairings: list[Pairing]) -> list[list]:
    return [[p.id, p.commissioner.code, p.commissioner.name, p.commissioner.title or "",
             p.commissioner.unit.name if p.commissioner.unit else "", p.need.enterprise.name,
             p.need.enterprise.county or "", p.need.field, p.need.expected_help or "",
             p.notice_start.isoformat() if p.notice_start else "", p.notice_end.isoformat() if p.notice_end else "",
             t(f"selection.status_{p.status}")] for p in pairings]


def notice_workbook(t: Translator, pairings: list[Pairing]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = t("selection.sheet")
    sheet.append([t(f"selection.col_{c}") for c in COLUMNS])
    data = rows(t, pairings)
    for row in data:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for index, _ in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = 16
    sheet.freeze_panes = "A2"
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()
