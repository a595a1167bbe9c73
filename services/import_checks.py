"""The checks of an import that need the database or the whole file, run in one pass with the
sheets' own checks: the operator sees every problem of the file at once, row by row.

A code is known when a stored row has it or a sheet of the same file defines it (a bad row of that
sheet too: its own problem is reported, not an unknown code where it is used).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from domain.policy import is_known_county
from domain.records import Kind, Problem, Sheet
from storage.models import Commissioner, DispatchingUnit, Enterprise
from storage.repositories import Repos

COUNTY_KINDS = (Kind.ENTERPRISES, Kind.COMMISSIONERS, Kind.APPLICANTS)


@dataclass(frozen=True)
class Reference:
    """A record column naming a row stored earlier, or defined by a sheet of the same file."""

    column: str  # in the record, e.g. "unit_code"; replaced by `id_column` when stored
    model: type
    id_column: str
    problem: str  # importer.problem.<problem> when no row has that code
    defined_by: tuple[Kind, ...]  # the sheets whose codes it may name


_UNIT = Reference("unit_code", DispatchingUnit, "unit_id", "unknown_unit", (Kind.UNITS,))
_ENTERPRISE = Reference("enterprise_code", Enterprise, "enterprise_id", "unknown_enterprise", (Kind.ENTERPRISES,))
_COMMISSIONER = Reference("commissioner_code", Commissioner, "commissioner_id", "unknown_commissioner",
                          (Kind.COMMISSIONERS, Kind.APPLICANTS))
REFERENCES: dict[Kind, tuple[Reference, ...]] = {
    Kind.NEEDS: (_ENTERPRISE,),
    Kind.COMMISSIONERS: (_UNIT,),
    Kind.APPLICANTS: (_UNIT,),
    Kind.AGREEMENTS: (_COMMISSIONER, _ENTERPRISE),
    Kind.OPINIONS: (_COMMISSIONER, _ENTERPRISE),
}


async def check_file(repos: Repos, sheets: list[Sheet], counties: Sequence[str], today: date) -> None:
    """Add to the sheets' problems: counties not in the policy, unknown codes, barred applicants;
    on bad rows too (a row without a name may also name an unknown unit)."""
    for sheet in sheets:
        check_counties(sheet, counties)
        await _check_references(repos, sheet, sheets)
        if sheet.kind is Kind.APPLICANTS:
            await _check_bars(repos, sheet, today)


def check_counties(sheet: Sheet, counties: Sequence[str]) -> None:
    if sheet.kind not in COUNTY_KINDS or not counties:
        return
    valid = "、".join(counties)
    for row_number, record in sheet.all_rows():
        county = record.get("county")
        if county and not is_known_county(counties, county):
            sheet.problems.append(Problem(row_number, "unknown_county", "county", f"“{county}” — {valid}"))


async def _check_references(repos: Repos, sheet: Sheet, sheets: list[Sheet]) -> None:
    for ref in REFERENCES.get(sheet.kind, ()):
        named = {record[ref.column] for _, record in sheet.all_rows() if record.get(ref.column)}
        known = set(await repos.people.by_codes(ref.model, named)) if named else set()
        known |= {code for other in sheets if other.kind in ref.defined_by for code in other.codes}
        for row_number, record in sheet.all_rows():
            code = record.get(ref.column)
            if code and code not in known:
                sheet.problems.append(Problem(row_number, ref.problem, ref.column, code))


async def _check_bars(repos: Repos, sheet: Sheet, today: date) -> None:
    """A disqualified commissioner may not apply again until their bar has run out."""
    stored = await repos.people.by_codes(Commissioner, sheet.codes)
    for row_number, record in sheet.all_rows():
        row = stored.get(record.get("code"))
        if row is not None and row.barred_until is not None and row.barred_until >= today:
            sheet.problems.append(Problem(row_number, "barred", value=row.barred_until.isoformat()))
