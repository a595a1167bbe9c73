"""Every workbook Tepai writes stores formula-like text as text (OWASP CSV injection)."""
from __future__ import annotations

import zipfile
from io import BytesIO

from openpyxl import load_workbook

from services.demo import write_workbook
from services.xlsx import table

DANGEROUS = ["=1+1", "+41 cmd", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]
HARMLESS = ["阳泉华鑫", "a=b", "13935300001"]


def _saved(workbook) -> bytes:  # noqa: ANN001
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_table_writes_formula_like_text_as_text() -> None:
    data = _saved(table("名单", ["=名称", "数量"], [[text, -5] for text in DANGEROUS + HARMLESS]))
    assert b"<f>" not in zipfile.ZipFile(BytesIO(data)).read("xl/worksheets/sheet1.xml")  # no formula at all
    sheet = load_workbook(BytesIO(data)).active
    assert (sheet["A1"].value, sheet["A1"].data_type, sheet["A1"].quotePrefix) == ("=名称", "s", True)
    cells = [sheet.cell(row=i + 2, column=1) for i in range(len(DANGEROUS + HARMLESS))]
    loaded = [text.replace("\r", "\n") for text in DANGEROUS]  # XML keeps a CR as a line break
    assert [c.value for c in cells] == loaded + HARMLESS
    assert all(c.data_type == "s" for c in cells)
    assert [c.quotePrefix for c in cells] == [True] * len(DANGEROUS) + [False] * len(HARMLESS)
    assert sheet["B2"].value == -5 and sheet["B2"].data_type == "n"  # numbers stay numbers


def test_plain_workbooks_write_formula_like_text_as_text(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "data.xlsx"
    write_workbook(path, {"企业": [["code", "name"], ["E001", "=cmd|' /C calc'!A0"]]})
    assert b"<f>" not in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    cell = load_workbook(path).active["B2"]
    assert (cell.value, cell.data_type) == ("=cmd|' /C calc'!A0", "s")


def test_long_headers_wrap_between_words_and_columns_fit_their_values() -> None:
    sheet = table("名单", ["编号", "特派员编号", "派出单位", "技术服务成效", "县（区）意见"],
                  [[1, "C001", "山西省煤炭科学研究院", 97.1, "服务认真"]]).active
    assert [c.value for c in sheet[1]] == ["编号", "特派员\n编号", "派出单位", "技术服务\n成效", "县（区）\n意见"]
    assert sheet.row_dimensions[1].height == 33  # two lines
    assert sheet.column_dimensions["C"].width >= 20  # the unit's name in full (10 wide characters)
    assert sheet.column_dimensions["B"].width < 10  # not the width of the label on one line


def test_columns_fit_numbers_as_formatted() -> None:
    sheet = table("等次", ["等次", "占比"], [["优秀", 0.2], ["合计", 1]], formats={2: "0.0%"}).active
    assert sheet.column_dimensions["B"].width >= len("100.0%") + 1  # not "###" for 1 shown as 100.0%
