"""Importing the example programme (and bad files) the way the CLI does, for the import tests."""
from __future__ import annotations

from pathlib import Path

from domain.records import Kind
from services.importer import ImportReport, import_file
from storage.repositories import Repos
from testkit.databases import EXAMPLES

EXAMPLE_CSVS = ["units.csv", "enterprises.csv", "commissioners.csv", "agreements.csv"]


async def import_ok(repos: Repos, clock, path: Path, kind: Kind | None = None) -> ImportReport:  # noqa: ANN001
    report = await import_file(repos, clock, path, kind, actor="test")
    assert report.problems == []
    assert report.ok
    await repos.commit()
    return report


async def import_bad(repos: Repos, clock, path: Path, kind: Kind | None = None) -> ImportReport:  # noqa: ANN001
    """As the CLI does: roll back a failed import."""
    report = await import_file(repos, clock, path, kind, actor="test")
    assert not report.ok
    await repos.rollback()
    return report


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def problems(report: ImportReport) -> list[tuple[int | None, str, str | None]]:
    return sorted(((p.row, p.key, p.column) for _, p in report.problems), key=repr)


async def import_examples(repos: Repos, clock) -> None:  # noqa: ANN001
    for name in EXAMPLE_CSVS:
        await import_ok(repos, clock, EXAMPLES / name)
