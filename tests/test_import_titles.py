"""Sheets with a title above the header row (a merged "2026年阳泉市科技特派员名单", maybe a blank
row): the header is found below it, the kind still comes from the headers, and rows are numbered as
Excel shows them (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest
import xlwt
from openpyxl import Workbook

from domain.records import Kind
from services.importer import ImportFileError, import_file
from storage.models import DispatchingUnit, Enterprise
from testkit.importing import import_bad, import_ok, problems, write_csv

UNITS = [["单位编号", "单位名称", "联系人", "联系电话"], ["U01", "太原理工大学", "刘建国", "0351-6010001"]]
ENTERPRISES = [["企业编号", "企业名称", "县区", "纬度", "经度", "联系电话"],
               ["E001", "阳泉华鑫耐火材料有限公司", "城区", 37.8612, 113.5791, "13935300001"],
               ["E002", "阳泉晋阳煤化工有限公司", "矿区", 37.8702, 113.5512, "13935300002"]]


def _titled_xlsx(path, enterprise_phone: str = "13935300002"):  # noqa: ANN001, ANN202
    """Units under a merged title (header in row 2); enterprises under a merged title and a blank
    row (header in row 3). Sheet names that say no kind: the headers must."""
    book = Workbook()
    units = book.active
    units.title = "Sheet1"
    units.append(["2026年阳泉市派出单位名单"])
    units.merge_cells("A1:D1")
    for row in UNITS:
        units.append(row)
    enterprises = book.create_sheet("Sheet2")
    enterprises.append(["2026年阳泉市科技特派员服务企业名单"])
    enterprises.merge_cells("A1:F1")
    enterprises.append([])
    for row in ENTERPRISES[:-1] + [ENTERPRISES[-1][:-1] + [enterprise_phone]]:
        enterprises.append(row)
    book.save(path)
    return path


async def test_xlsx_with_a_merged_title_imports(repos, clock, tmp_path):
    report = await import_ok(repos, clock, _titled_xlsx(tmp_path / "名单.xlsx"))
    assert dict(report.created) == {"units": 1, "enterprises": 2}
    assert (await repos.people.by_code(DispatchingUnit, "U01")).contact_phone == "0351-6010001"
    assert (await repos.people.by_code(Enterprise, "E002")).county == "矿区"


async def test_xlsx_under_a_title_reports_excel_row_numbers(repos, clock, tmp_path):
    report = await import_bad(repos, clock, _titled_xlsx(tmp_path / "名单.xlsx", enterprise_phone="601"))
    assert problems(report) == [(5, "bad_phone", "contact_phone")]  # title, blank, header, E001, E002


def _units_csv(path, title: str, separator: str, encoding: str, u02_phone: str):  # noqa: ANN001, ANN202
    rows = UNITS + [["U02", "山西农业大学", "王秀兰", u02_phone]]
    return write_csv(path, "\n".join([title, *(separator.join(row) for row in rows)]) + "\n", encoding)


@pytest.mark.parametrize(("title", "separator", "encoding"), [
    ("2026年阳泉市派出单位名单", ",", "utf-8"),
    ("2026年阳泉市派出单位名单,,,", ",", "gb18030"),  # Excel's CSV keeps the merged cell's empty neighbours
    ("2026年阳泉市派出单位名单", "\t", "utf-16"),  # Excel's "Unicode text": the title has no tab to go by
])
async def test_csv_with_a_title_line_imports_and_counts_lines(repos, clock, tmp_path, title, separator, encoding):
    report = await import_bad(repos, clock, _units_csv(tmp_path / "名单.csv", title, separator, encoding, "601"))
    assert problems(report) == [(4, "bad_phone", "contact_phone")]  # title, header, U01, U02
    report = await import_ok(repos, clock, _units_csv(tmp_path / "名单.csv", title, separator, encoding,
                                                      "0354-6288001"))
    assert dict(report.created) == {"units": 2}


async def test_xls_numbers_rows_from_a1_when_the_top_is_blank(repos, clock, tmp_path):
    path = tmp_path / "单位.xls"
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    sheet.write(1, 1, "2026年阳泉市派出单位名单")  # B2: row 1 and column A stay empty
    for r, row in enumerate(UNITS + [["U02", "山西农业大学", "王秀兰", "601"]], start=2):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(str(path))
    report = await import_bad(repos, clock, path)
    assert problems(report) == [(5, "bad_phone", "contact_phone")]


async def test_no_header_within_the_first_rows_is_reported_as_before(repos, clock, tmp_path):
    """Past HEADER_SEARCH_ROWS the first line is taken as the header, as before: a file named for
    its kind is missing its columns, any other cannot be told."""
    text = "\n".join(["2026年阳泉市派出单位名单", "", "说明", "制表：市科技局", "2026年1月", "单位编号,单位名称",
                      "U01,太原理工大学"]) + "\n"
    report = await import_bad(repos, clock, write_csv(tmp_path / "units.csv", text))
    assert problems(report) == [(None, "missing_column", "code"), (None, "missing_column", "name")]
    with pytest.raises(ImportFileError) as error:
        await import_file(repos, clock, write_csv(tmp_path / "名单.csv", text), None, actor="test")
    assert error.value.key == "unknown_kind"
    report = await import_bad(repos, clock, write_csv(tmp_path / "名单.csv", text), Kind.UNITS)
    assert problems(report) == [(None, "missing_column", "code"), (None, "missing_column", "name")]
