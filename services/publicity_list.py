"""The publicity list (公示名单) as XLSX: one row per pairing in publicity or held by an objection."""
from __future__ import annotations

from io import BytesIO

from locales import Translator
from services.xlsx import table
from storage.models import Pairing

COLUMNS = ("pairing", "commissioner_code", "commissioner", "title", "unit", "enterprise", "county", "field",
           "targets", "notice_start", "notice_end", "status")


def rows(t: Translator, pairings: list[Pairing]) -> list[list]:
    return [[p.id, p.commissioner.code, p.commissioner.name, p.commissioner.title or "",
             p.commissioner.unit.name if p.commissioner.unit else "", p.need.enterprise.name,
             p.need.enterprise.county or "", p.need.field, p.need.expected_help or "",
             p.notice_start.isoformat() if p.notice_start else "", p.notice_end.isoformat() if p.notice_end else "",
             t(f"selection.status_{p.status}")] for p in pairings]


def publicity_workbook(t: Translator, pairings: list[Pairing]) -> bytes:
    out = BytesIO()
    table(t("selection.sheet"), [t(f"selection.col_{c}") for c in COLUMNS], rows(t, pairings)).save(out)
    return out.getvalue()
