"""The command line's tables line up in a terminal: columns padded by display width, so a
two-character name and a four-character name end at the same column (`{name:<6}` padded by
characters, a Chinese one taking two columns)."""
from __future__ import annotations

import re

import pytest
import wcwidth

from bot import cli
from locales.columns import aligned
from testkit.databases import EXAMPLES

NAMES = {"C101": "欧阳明远", "C102": "李一", "C103": "Li Na"}


def test_aligned_pads_by_display_width():
    rows = aligned([[1, "C001", "张伟", "95.3", "x"], [10, "C101", "欧阳明远", "5.0", "y"], [2, "C2", "Li", "0.5", "z"]],
                   right={0, 3})
    assert rows[0] == [" 1", "C001", "张伟    ", "95.3", "x"]
    assert rows[1] == ["10", "C101", "欧阳明远", " 5.0", "y"]
    assert {wcwidth.width("".join(row[:4])) for row in rows} == {18}
    assert aligned([]) == []


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tables")
    (folder / "commissioners.csv").write_text(
        "编号,姓名,派出单位,专业领域,县区\n" + "".join(f"{c},{n},U01,耐火材料,城区\n" for c, n in NAMES.items()), "utf-8")
    (folder / "agreements.csv").write_text(
        "特派员编号,企业编号,开始日期,结束日期\n" + "".join(f"{c},E001,2026-01-01,2026-12-31\n" for c in NAMES), "utf-8")
    return folder


@pytest.fixture
def tepai(data_dir, monkeypatch, capsys):
    monkeypatch.chdir(data_dir)
    for name in ("TEPAI_LANGUAGE", "TEPAI_DATABASE_URL", "TEPAI_POLICY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEPAI_DATA_DIR", str(data_dir / "data"))

    def run(*args: str) -> str:
        code = cli.main(list(args))
        out = capsys.readouterr()
        assert code == 0, out.err
        return out.out

    if not (data_dir / "data").exists():
        for file in (EXAMPLES / "tepai-example.xlsx", data_dir / "commissioners.csv", data_dir / "agreements.csv"):
            run("import", str(file))
    return run


def _score_column(line: str) -> int:
    """The display column where the row's score (one decimal) starts."""
    return wcwidth.width(line[:re.search(r"\b\d+\.\d\b", line).start()])


def test_assess_rows_line_up(tepai):
    rows = [line for line in tepai("assess", "--year", "2026").splitlines() if any(c in line for c in ("C00", "C10"))]
    assert len(rows) >= 5 and any("欧阳明远" in line for line in rows)
    # Each row's score (one decimal) starts at the same display column, whatever the name's width.
    assert len({_score_column(line) for line in rows}) == 1, rows


def test_match_rows_line_up(tepai):
    rows = [line for line in tepai("match", "耐火材料").splitlines() if line.strip()]
    assert len(rows) >= 4
    assert len({_score_column(line) for line in rows}) == 1, rows
