"""`tepai import`: CSV or XLSX files of units, enterprises, technical needs, commissioners,
applicants (申报人员) and agreements.

Upsert by code (agreements by commissioner, enterprise and start date), in one transaction:
if any row of the file is bad, nothing from the file is stored.
"""
from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from operator import itemgetter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import charset_normalizer

from domain.clock import Clock
from domain.policy import is_known_county
from domain.records import (
    KIND_ORDER,
    Kind,
    Problem,
    Sheet,
    kind_from_headers,
    kind_from_name,
    read_sheet,
)
from storage.models import Agreement, Commissioner, DispatchingUnit, Enterprise, Need, Opinion
from storage.repositories import Repos

MAX_IMPORT_BYTES = 50 * 1024 * 1024

_MODELS: dict[Kind, type] = {
    Kind.UNITS: DispatchingUnit,
    Kind.ENTERPRISES: Enterprise,
    Kind.NEEDS: Need,
    Kind.COMMISSIONERS: Commissioner,
    Kind.APPLICANTS: Commissioner,  # with status "applicant"
    Kind.AGREEMENTS: Agreement,
    Kind.OPINIONS: Opinion,
}
SHANGHAI = ZoneInfo("Asia/Shanghai")


class ImportFileError(ValueError):
    """The file cannot be read at all (missing, wrong type, not a spreadsheet)."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass
class ImportReport:
    sheets: list[Sheet] = field(default_factory=list)
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    skipped_sheets: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[tuple[str, Problem]]:
        return [(sheet.label, p) for sheet in self.sheets for p in sheet.problems]

    @property
    def ok(self) -> bool:
        return bool(self.sheets) and not self.problems


def read_tables(path: Path, kind: Kind | None) -> tuple[list[Sheet], list[str]]:
    """Parse a CSV or XLSX file into checked sheets (no database). Returns sheets and skipped names."""
    if not path.is_file():
        raise ImportFileError("no_file", path=str(path))
    if path.stat().st_size > MAX_IMPORT_BYTES:
        raise ImportFileError("too_big", path=str(path), limit_mb=MAX_IMPORT_BYTES // (1024 * 1024))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        tables = [(path.name, path.stem, _csv_rows(path))]
    elif suffix in (".xlsx", ".xlsm"):
        tables = _xlsx_tables(path)
    else:
        raise ImportFileError("bad_type", path=str(path))
    sheets: list[Sheet] = []
    skipped: list[str] = []
    for label, name, rows in tables:
        sheet_kind = _kind_for(kind, name, rows, single=len(tables) == 1)
        if sheet_kind is None:
            skipped.append(label)
            continue
        sheets.append(read_sheet(sheet_kind, label, rows))
    if not sheets:
        raise ImportFileError("unknown_kind", path=str(path))
    sheets.sort(key=lambda s: KIND_ORDER.index(s.kind))
    return sheets, skipped


def _kind_for(kind: Kind | None, name: str, rows: list[list[object]], single: bool) -> Kind | None:
    named = kind_from_name(name)
    if kind is not None:
        # With --kind, a lone table is that kind; in a workbook only the sheets named for it are.
        return kind if single or named is kind else None
    if named is not None:
        return named
    return kind_from_headers(rows[0]) if rows else None


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
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","  # Excel's "Unicode text" uses tabs
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


async def import_file(repos: Repos, clock: Clock, path: Path, kind: Kind | None, actor: str,
                      zone: tzinfo = SHANGHAI, counties: Sequence[str] = ()) -> ImportReport:
    """Check and store a file. The caller commits when `report.ok`, and rolls back otherwise.

    `zone` gives the local date an applicant's bar (barred_until) is compared with; `counties`
    (the policy's) are the county names a row may give, if any are set."""
    sheets, skipped = read_tables(path, kind)
    if counties:
        for sheet in sheets:
            _check_counties(sheet, counties)
    report = ImportReport(sheets=sheets, skipped_sheets=skipped)
    if report.problems:
        return report
    now = clock.now()
    for sheet in sheets:
        await _store(repos, sheet, report, now, now.astimezone(zone).date())
        await repos.people.flush()
    if report.ok:
        repos.audit.record(
            now, actor, "import", "file", path.name,
            created=dict(report.created), updated=dict(report.updated), unchanged=dict(report.unchanged),
        )
    return report


COUNTY_KINDS = (Kind.ENTERPRISES, Kind.COMMISSIONERS, Kind.APPLICANTS)


def _check_counties(sheet: Sheet, counties: Sequence[str]) -> None:
    if sheet.kind not in COUNTY_KINDS:
        return
    valid = "、".join(counties)
    for row_number, record in sheet.records:
        county = record.get("county")
        if county and not is_known_county(counties, county):
            sheet.problems.append(Problem(row_number, "unknown_county", "county", f"“{county}” — {valid}"))


@dataclass(frozen=True)
class Reference:
    """A record column naming a row stored earlier (or on an earlier sheet of the same workbook)."""

    column: str  # in the record, e.g. "unit_code"; replaced by `id_column`
    model: type
    id_column: str
    problem: str  # importer.problem.<problem> when no row has that code


_UNIT = Reference("unit_code", DispatchingUnit, "unit_id", "unknown_unit")
_ENTERPRISE = Reference("enterprise_code", Enterprise, "enterprise_id", "unknown_enterprise")
_COMMISSIONER = Reference("commissioner_code", Commissioner, "commissioner_id", "unknown_commissioner")
REFERENCES: dict[Kind, tuple[Reference, ...]] = {
    Kind.NEEDS: (_ENTERPRISE,),
    Kind.COMMISSIONERS: (_UNIT,),
    Kind.APPLICANTS: (_UNIT,),
    Kind.AGREEMENTS: (_COMMISSIONER, _ENTERPRISE),
    Kind.OPINIONS: (_COMMISSIONER, _ENTERPRISE),
}


def _on_create(kind: Kind, now: datetime) -> dict[str, Any]:
    """Values a new row gets that the file does not give (and an update leaves alone)."""
    if kind is Kind.APPLICANTS:
        return {"status": "applicant"}  # an existing commissioner keeps "active" or "disqualified"
    if kind is Kind.NEEDS:
        return {"file_ids": [], "created_at": now, "created_by": "import"}
    if kind is Kind.OPINIONS:
        return {"written_by": "import", "written_at": now}
    return {}


async def _store(repos: Repos, sheet: Sheet, report: ImportReport, now: datetime, today: date) -> None:
    resolved = await _resolve(repos, sheet)
    if sheet.problems:
        return
    existing, key_of = await _existing(repos, sheet.kind, [values for _, values in resolved])
    if sheet.kind is Kind.APPLICANTS:
        _check_bars(sheet, resolved, existing, today)
        if sheet.problems:
            return
    model = _MODELS[sheet.kind]
    for _, values in resolved:
        row = existing.get(key_of(values))
        if row is None:
            repos.people.add(model(**values, **_on_create(sheet.kind, now)))
            _count(report, sheet.kind, created=True, changed=True)
        else:
            _count(report, sheet.kind, created=False, changed=_apply(row, values))


async def _resolve(repos: Repos, sheet: Sheet) -> list[tuple[int, dict[str, Any]]]:
    """The records with codes of other rows replaced by their ids; unknown codes become problems."""
    refs = REFERENCES.get(sheet.kind, ())
    known = {ref.column: await repos.people.by_codes(ref.model, (r[ref.column] for _, r in sheet.records
                                                                 if r[ref.column]))
             for ref in refs}
    resolved: list[tuple[int, dict[str, Any]]] = []
    for row_number, record in sheet.records:
        values = dict(record)
        for ref in refs:
            code = values.pop(ref.column)
            target = known[ref.column].get(code) if code else None
            if code and target is None:
                sheet.problems.append(Problem(row_number, ref.problem, ref.column, code))
            values[ref.id_column] = target.id if target else None
        resolved.append((row_number, values))
    return resolved


async def _existing(repos: Repos, kind: Kind, records: list[dict[str, Any]]) -> tuple[dict, Callable]:
    """Stored rows the records may update, and how to find a record's row among them."""
    if kind is Kind.AGREEMENTS:
        def key_of(values: dict[str, Any]) -> tuple:
            return (values["commissioner_id"], values["enterprise_id"], values["start_date"])

        return await repos.people.agreements_by_keys(key_of(v) for v in records), key_of
    if kind is Kind.OPINIONS:
        def opinion_key(values: dict[str, Any]) -> tuple:
            return (values["year"], values["commissioner_id"], values["kind"], values["enterprise_id"])

        return await repos.assessment.opinions_by_keys(opinion_key(v) for v in records), opinion_key
    return await repos.people.by_codes(_MODELS[kind], (v["code"] for v in records)), itemgetter("code")


def _check_bars(sheet: Sheet, resolved: list[tuple[int, dict[str, Any]]], existing: dict[str, Any],
                today: date) -> None:
    """A disqualified commissioner may not apply again until their bar has run out."""
    for row_number, values in resolved:
        row = existing.get(values["code"])
        if row is not None and row.barred_until is not None and row.barred_until >= today:
            sheet.problems.append(Problem(row_number, "barred", value=row.barred_until.isoformat()))


def _apply(row: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _count(report: ImportReport, kind: Kind, created: bool, changed: bool) -> None:
    bucket = report.created if created else report.updated if changed else report.unchanged
    bucket[kind.value] += 1
