"""`tepai import`: CSV, XLSX or XLS files of units, enterprises, technical needs, commissioners,
applicants (申报人员), agreements and opinions.

Read (services.import_files), checked in one pass (services.import_checks), then upserted by code
(agreements by commissioner, enterprise and start date) in one transaction: if any row of the
file is bad, nothing from the file is stored.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from operator import itemgetter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from domain.clock import Clock
from domain.records import Kind, Problem, Sheet
from services.import_checks import REFERENCES, check_file
from services.import_files import ImportFileError, read_tables
from storage.models import Agreement, Commissioner, DispatchingUnit, Enterprise, Need, Opinion
from storage.repositories import Repos

__all__ = ["ImportFileError", "ImportReport", "Kind", "import_file"]  # what callers import from here

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
STORE_CHUNK = 500  # rows added between two flushes: the flush is most of an import's time, so
# flushing as it goes lets a progress bar move with the work (still one transaction)


@dataclass
class ImportReport:
    sheets: list[Sheet] = field(default_factory=list)
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    skipped_sheets: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[tuple[str, Problem]]:
        """Every problem of the file, sheet by sheet and row by row (sheet-wide ones first)."""
        return [(sheet.label, p) for sheet in self.sheets
                for p in sorted(sheet.problems, key=lambda p: p.row or 0)]

    @property
    def ok(self) -> bool:
        return bool(self.sheets) and not self.problems


async def import_file(repos: Repos, clock: Clock, path: Path, kind: Kind | None, actor: str,
                      zone: tzinfo = SHANGHAI, counties: Sequence[str] = (),
                      progress: Callable[[int, int], object] = lambda done, total: None) -> ImportReport:
    """Check and store a file. The caller commits when `report.ok`, and rolls back otherwise.

    `zone` gives the local date an applicant's bar (barred_until) is compared with; `counties`
    (the policy's) are the county names a row may give, if any are set. `progress(done, total)`
    is told the rows stored so far once the file is checked (the command line's progress bar)."""
    sheets, skipped = read_tables(path, kind)
    now = clock.now()
    await check_file(repos, sheets, counties, now.astimezone(zone).date())
    report = ImportReport(sheets=sheets, skipped_sheets=skipped)
    if report.problems:
        return report
    total, done = sum(len(sheet.records) for sheet in sheets), 0
    progress(done, total)
    for sheet in sheets:
        async for stored in _store(repos, sheet, report, now):
            await repos.people.flush()
            done += stored
            progress(done, total)
    if report.ok:
        repos.audit.record(
            now, actor, "import", "file", path.name,
            created=dict(report.created), updated=dict(report.updated), unchanged=dict(report.unchanged),
        )
    return report


def _on_create(kind: Kind, now: datetime) -> dict[str, Any]:
    """Values a new row gets that the file does not give (and an update leaves alone)."""
    if kind is Kind.APPLICANTS:
        return {"status": "applicant"}  # an existing commissioner keeps "active" or "disqualified"
    if kind is Kind.NEEDS:
        return {"file_ids": [], "created_at": now, "created_by": "import"}
    if kind is Kind.OPINIONS:
        return {"written_by": "import", "written_at": now}
    return {}


async def _store(repos: Repos, sheet: Sheet, report: ImportReport, now: datetime) -> AsyncIterator[int]:
    """Adds or updates the sheet's rows, yielding after each STORE_CHUNK rows (and the last) how
    many it handled since, for the caller to flush."""
    resolved = await _resolve(repos, sheet)
    existing, key_of = await _existing(repos, sheet.kind, [values for _, values in resolved])
    model = _MODELS[sheet.kind]
    for start in range(0, len(resolved), STORE_CHUNK):
        chunk = resolved[start:start + STORE_CHUNK]
        for _, values in chunk:
            row = existing.get(key_of(values))
            if row is None:
                repos.people.add(model(**values, **_on_create(sheet.kind, now)))
                _count(report, sheet.kind, created=True, changed=True)
            else:
                _count(report, sheet.kind, created=False, changed=_apply(row, values))
        yield len(chunk)


async def _resolve(repos: Repos, sheet: Sheet) -> list[tuple[int, dict[str, Any]]]:
    """The records with codes of other rows replaced by their ids (stored, or flushed from an
    earlier sheet). check_file has made sure every code is known; the problem is a safety net."""
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
