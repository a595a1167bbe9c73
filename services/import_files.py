"""Reading an import file (CSV, XLSX or XLS) into checked sheets, each of the kind its headers say.

No database here: services.importer checks the sheets against stored rows and stores them.
"""
from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path
from typing import Any

import charset_normalizer

from domain.records import HEADER_SEARCH_ROWS, KIND_ORDER, Kind, Sheet, read_sheet
from domain.sheet_kinds import AmbiguousKind, kind_from_name, kind_of_table, table_headers

MAX_IMPORT_BYTES = 50 * 1024 * 1024


class ImportFileError(ValueError):
    """The file cannot be read at all (missing, wrong type, not a spreadsheet)."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def read_tables(path: Path, kind: Kind | None) -> tuple[list[Sheet], list[str]]:
    """Parse a CSV, XLSX or XLS file into checked sheets (no database). Returns sheets and skipped names."""
    if not path.is_file():
        raise ImportFileError("no_file", path=str(path))
    if path.stat().st_size > MAX_IMPORT_BYTES:
        raise ImportFileError("too_big", path=str(path), limit_mb=MAX_IMPORT_BYTES // (1024 * 1024))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        tables = [(path.name, path.stem, _csv_rows(path))]
    elif suffix in (".xlsx", ".xlsm"):
        tables = _xlsx_tables(path)
    elif suffix == ".xls":
        tables = _xls_tables(path)
    else:
        raise ImportFileError("bad_type", path=str(path))
    sheets: list[Sheet] = []
    skipped: list[str] = []
    for label, name, rows in tables:
        sheet_kind = _kind_for(kind, label, name, rows, single=len(tables) == 1)
        if sheet_kind is None:
            skipped.append(label)
            continue
        sheets.append(read_sheet(sheet_kind, label, rows))
    if not sheets:
        empty = not any(any(_filled(row) for row in rows) for _, _, rows in tables)
        raise ImportFileError("empty_file" if empty else "unknown_kind", path=str(path))
    sheets.sort(key=lambda s: KIND_ORDER.index(s.kind))
    return sheets, skipped


def _filled(row: list[object]) -> bool:
    return any(cell is not None and str(cell).strip() for cell in row)


def _kind_for(kind: Kind | None, label: str, name: str, rows: list[list[object]], single: bool) -> Kind | None:
    if kind is not None:
        # With --kind, a lone table is that kind; in a workbook only the sheets named for it are.
        return kind if single or kind_from_name(name) is kind else None
    try:
        return kind_of_table(table_headers(rows), name)
    except AmbiguousKind as exc:
        raise ImportFileError("ambiguous_kind", table=label, kinds=exc.candidates) from None


# Excel on Chinese Windows saves CSV as GBK (gb18030 is its superset) or, as "Unicode text",
# UTF-16 with tabs; WPS and others also write Big5 or UTF-8.
CSV_ENCODINGS = ["utf_8", "gb18030", "big5", "utf_16", "utf_16_le", "utf_16_be"]


def _decode(raw: bytes, path: Path) -> str:
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            return raw.decode(encoding)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(raw, cp_isolation=CSV_ENCODINGS).best()
    if best is None:
        raise ImportFileError("bad_encoding", path=str(path))
    return str(best)


def _csv_rows(path: Path) -> list[list[object]]:
    text = _decode(path.read_bytes(), path)
    # Excel's "Unicode text" uses tabs: the first line with a tab or comma says which (a title line
    # above the header has neither).
    top = text.split("\n", HEADER_SEARCH_ROWS)[:HEADER_SEARCH_ROWS]
    first = next((line for line in top if "\t" in line or "," in line), "")
    delimiter = "\t" if "\t" in first and "," not in first else ","
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _xlsx_tables(path: Path) -> list[tuple[str, str, list[list[object]]]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError):
        raise ImportFileError("bad_xlsx", path=str(path)) from None
    try:
        return [
            (f"{path.name}:{ws.title}", ws.title, [list(row) for row in ws.iter_rows(values_only=True)])
            for ws in workbook.worksheets
        ]
    finally:
        workbook.close()


def _xls_tables(path: Path) -> list[tuple[str, str, list[list[object]]]]:
    """Excel 97–2003 workbooks, still what many offices' systems export, read by calamine (Rust):
    openpyxl reads only .xlsx. Blank cells come back as "", which the cell parsers read as blank."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        # From A1 (calamine starts at the first cell in use), so row numbers are Excel's own.
        return [(f"{path.name}:{name}", name, workbook.get_sheet_by_name(name).to_python(skip_empty_area=False))
                for name in workbook.sheet_names]
    except (CalamineError, ValueError, OSError):
        raise ImportFileError("bad_xls", path=str(path)) from None
