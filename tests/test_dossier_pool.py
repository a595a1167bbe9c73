"""`tepai dossier --jobs N` (bot/dossier_pool.py): worker processes write what one process writes, on
SQLite and PostgreSQL, and a dossier that fails is named by its code while the others are written.
Each run starts real worker processes: one such test per backend, over the imported examples (dossiers
without a year's activity are quick to make; tests/test_dossier.py checks what a full one shows)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from bot.commands_cli import EXIT_FAILED, EXIT_OK
from bot.commands_year import dossiers
from bot.settings import Settings
from locales import Translator
from storage.db import create_engine
from storage.models import Commissioner
from testkit.rendering import pdf_text
from testkit.years import CODES, imported  # noqa: F401

# When it was made ("2026年12月3日 23:05", "3 Dec 2026 23:05"): the one thing two runs differ in.
STAMP = re.compile(r"(?:\d{4}年\d{1,2}月\d{1,2}日|\d{1,2} [A-Z][a-z]{2} \d{4}|\d{4}-\d\d-\d\d) \d\d:\d\d")


def _made(folder: Path) -> dict[str, str]:
    """File name -> its text (the PDF's as pdftotext reads it), the time it was made blanked."""
    return {p.name: STAMP.sub("…", pdf_text(p.read_bytes()) if p.suffix == ".pdf" else p.read_text("utf-8"))
            for p in sorted(folder.iterdir()) if p.is_file()}


async def test_two_workers_write_what_one_process_writes_and_a_failure_stops_only_its_dossier(
        imported, policy, database_url, tmp_path, capsys):  # noqa: ANN001, F811
    settings = Settings(_env_file=None, database_url=database_url, data_dir=tmp_path)
    t = Translator("zh")
    assert await dossiers(settings, policy, t, 2026, None, tmp_path / "one", jobs=1) == EXIT_OK
    one = _made(tmp_path / "one")
    assert {name.split("-")[0] for name in one} == set(CODES) and len(one) == 2 * len(CODES)

    blocked = next(name for name in one if name.startswith("C003-") and name.endswith(".html"))
    (tmp_path / "two" / blocked).mkdir(parents=True)  # where C003's HTML should go: it cannot be written
    capsys.readouterr()
    assert await dossiers(settings, policy, t, 2026, None, tmp_path / "two", jobs=2) == EXIT_FAILED
    said = capsys.readouterr()
    assert re.search(r"C003：考核材料未能生成（IsADirectoryError", said.err), said.err
    assert "5 份考核材料中有 1 份未能生成" in said.err and "已生成 4 份考核材料" in said.out
    two = _made(tmp_path / "two")
    assert two == {name: text for name, text in one.items() if not name.startswith("C003-")}


async def test_a_workers_engine_reads_and_cannot_write(imported, database_url):  # noqa: ANN001, F811
    engine = create_engine(database_url, read_only=True)
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(Commissioner)) == len(CODES)
            with pytest.raises(DBAPIError):
                await conn.execute(update(Commissioner).values(name="改名"))
    finally:
        await engine.dispose()
