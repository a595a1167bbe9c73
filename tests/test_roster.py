"""The XLSX roster as a panel prints it: rates as percentages, a totals row, grades counted and
checked against the cap, the final grade, and a print set-up (A4 landscape, fit to width, the
header on every page, columns wide enough for unit names)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from domain.policy import PRESETS, load_policy
from locales import Translator
from services import opinions
from services.assessment import decide
from services.roster import COLUMNS, write_roster
from services.xlsx import display_width
from storage.repositories import Repos
from testkit.rendering import page_with, pdf_pages, pdf_text, render_page, spreadsheet_pdf
from testkit.years import CODES, assessed, imported, seeded  # noqa: F401 - fixtures

T = Translator("zh")


def _column(name: str) -> int:
    return COLUMNS.index(name) + 1


async def test_rates_totals_final_grades_and_county_opinions(seeded, policy, clock,  # noqa: ANN001, F811
                                                             tmp_path: Path) -> None:
    async with seeded.sessionmaker() as session:
        repos = Repos(session)
        await decide(repos, clock, policy, year=2026, code="C003", grade="pass", reason="经县区核实", actor="user:7",
                     final=True)
        await opinions.record(repos, clock, opinions.OpinionInput(2026, "C002", "county", "服务认真，企业反映良好"),
                              actor="user:8")
        await opinions.record(repos, clock, opinions.OpinionInput(2025, "C004", "county", "上一年的意见"),
                              actor="user:8")
        await repos.commit()
    result = await assessed(seeded, policy)
    path = tmp_path / "roster.xlsx"
    assert write_roster(path, policy, T, result) == len(CODES)
    sheet = load_workbook(path)["2026年度考核"]
    rate = sheet.cell(row=2, column=_column("response_rate"))
    assert isinstance(rate.value, float) and 0 <= rate.value <= 1 and rate.number_format == "0.0%"
    assert sheet.cell(row=2, column=_column("total")).number_format == "0.0"
    rows = {sheet.cell(row=r, column=_column("code")).value: r for r in range(2, len(CODES) + 2)}
    final = [sheet.cell(row=r, column=_column("final_grade")).value for r in rows.values()]
    assert sheet.cell(row=rows["C003"], column=_column("final_grade")).value == "合格"
    assert final.count("合格") == 1 and final.count(None) == len(CODES) - 1  # proposals are not final
    said = {code: sheet.cell(row=r, column=_column("county_opinion")).value for code, r in rows.items()}
    assert said == {code: result.county_opinions.get(code) for code in CODES}
    assert said["C002"] == "服务认真，企业反映良好"  # written again: replaced
    assert said["C004"] != "上一年的意见"  # this year's only
    totals = len(CODES) + 2
    assert sheet.cell(row=totals, column=1).value.startswith(f"合计 {len(CODES)} 人")
    assert f"A{totals}:E{totals}" in {str(r) for r in sheet.merged_cells.ranges}
    services = [sheet.cell(row=r, column=_column("services")).value for r in range(2, totals)]
    assert sheet.cell(row=totals, column=_column("services")).value == sum(services)
    assert sheet.cell(row=totals, column=_column("response_rate")).number_format == "0.0%"


async def test_grades_counted_and_checked_against_the_cap(seeded, policy, tmp_path: Path) -> None:  # noqa: ANN001, F811
    result = await assessed(seeded, policy)
    write_roster(tmp_path / "roster.xlsx", policy, T, result)
    counts = [[c.value for c in row] for row in load_workbook(tmp_path / "roster.xlsx")["等次统计"].iter_rows()]
    assert counts[0] == ["等次", "人数", "占比"]
    by_grade = {row[0]: row[1] for row in counts[1:4]}
    assert list(by_grade) == ["优秀", "合格", "不合格"] and sum(by_grade.values()) == len(CODES)
    assert counts[4][:2] == ["合计", len(CODES)]
    cap = next(row for row in counts if row[0] and str(row[0]).startswith("优秀名额上限"))
    assert cap[1:] == [1, 0.2]  # 20% of 5 people
    check = next(row for row in counts if row[0] == "核对")
    assert check[1] == by_grade["优秀"] and "未超过上限 1 人" in check[2]


async def test_jincheng_counts_its_own_grades_without_a_cap(seeded, tmp_path: Path) -> None:  # noqa: F811
    jincheng = load_policy("jincheng")
    result = await assessed(seeded, jincheng)
    write_roster(tmp_path / "roster.xlsx", jincheng, T, result)
    book = load_workbook(tmp_path / "roster.xlsx")
    counts = [[c.value for c in row] for row in book["等次统计"].iter_rows()]
    assert [row[0] for row in counts[1:]] == ["优秀", "称职", "不称职", "合计"]  # no cap in 第二十条
    assert book.active.cell(row=1, column=_column("failures")).value == "不称职原因"


async def test_print_set_up_and_widths(seeded, policy, tmp_path: Path) -> None:  # noqa: ANN001, F811
    write_roster(tmp_path / "roster.xlsx", policy, T, await assessed(seeded, policy))
    for sheet in load_workbook(tmp_path / "roster.xlsx"):
        assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.print_title_rows == "$1:$1"
        assert sheet.oddFooter.center.text == "&P / &N"
    sheet = load_workbook(tmp_path / "roster.xlsx").active
    unit = "D"
    longest = max(display_width(c.value) for (c,) in sheet.iter_rows(min_row=2, max_row=len(CODES) + 1,
                                                                      min_col=4, max_col=4))
    assert sheet.column_dimensions[unit].width >= longest


@pytest.mark.parametrize("preset", PRESETS)
async def test_print_preview(seeded, preset, tmp_path: Path) -> None:  # noqa: F811
    """LibreOffice prints the roster as the set-up says: every column on one page's width (two
    pages in all: the roster with its totals row, then the grade counts; without fit to width
    the roster's 26 columns take several), the title above and page numbers below; the pages
    go to the test output as PNG."""
    policy = load_policy(preset)
    path = tmp_path / "roster.xlsx"
    write_roster(path, policy, T, await assessed(seeded, policy))
    pdf = spreadsheet_pdf(path)
    pages = pdf_text(pdf).split("\f")
    assert pdf_pages(pdf) == 2
    assert "排名" in pages[0] and "合计 5 人" in pages[0] and "C005" in pages[0]
    assert re.search(r"^1 ?/ ?2$", pages[0], re.M) and "2026年度考核" in pages[0]  # footer and header
    counts = page_with(pdf, "等次统计")
    assert counts == 2
    assert all(g.zh in pages[counts - 1] for g in policy.grades)
    assert ("名额上限" in pages[counts - 1]) == (policy.top_grade_cap is not None)
    assert render_page(pdf, 1, f"roster-{preset}-1", dpi=110).is_file()
    assert render_page(pdf, counts, f"roster-{preset}-grades", dpi=70).is_file()
