"""Imports that catch mistakes: phone numbers, codes with invisible characters (SQLite and PostgreSQL)."""
from __future__ import annotations

import io
from datetime import date

import pytest
import xlwt

from bot.commands_records import import_file_error, print_import_report
from domain.cells import clean_code, normalise_phone
from domain.records import Kind, phone_cell
from domain.policy import load_policy
from services.demo import write_workbook
from services.import_template import template_csv
from services.importer import ImportFileError, import_file
from locales import Translator
from storage.models import Agreement, Commissioner, DispatchingUnit, Enterprise
from testkit.importing import import_bad, import_examples, import_ok, problems, write_csv

YANGQUAN_COUNTIES = ("城区", "矿区", "郊区", "平定县", "盂县", "高新区")


def _printed(lang: str, path, report) -> str:  # noqa: ANN001
    out = io.StringIO()
    print_import_report(Translator(lang), path, report, out)
    return out.getvalue()


async def _file_error(repos, clock, path, kind=None) -> ImportFileError:  # noqa: ANN001
    with pytest.raises(ImportFileError) as err:
        await import_file(repos, clock, path, kind, actor="test")
    return err.value

# --------------------------------------------------------------------------- phone numbers (pure)


@pytest.mark.parametrize(("typed", "stored"), [
    ("13800000001", "13800000001"),
    ("138 0000 0001", "13800000001"),
    ("138-0000-0001", "13800000001"),
    ("+86 138 0000 0001", "13800000001"),
    ("0086-13800000001", "13800000001"),
    ("8613800000001", "13800000001"),
    ("１３８０００００００１", "13800000001"),  # typed with a Chinese input method's full-width digits
    ("\ufeff13800000001\u200b", "13800000001"),
    ("17942002995", "17942002995"),  # phonenumbers alone reads 179xx as a dialling prefix
    ("0353-1234567", "0353-1234567"),
    ("03531234567", "0353-1234567"),
    ("(0353) 123 4567", "0353-1234567"),
    ("（0353）1234567", "0353-1234567"),
    ("0353－1234567", "0353-1234567"),
    ("+86 353 1234567", "0353-1234567"),
    ("010-12345678", "010-12345678"),
    ("0353-1234567-801", "0353-1234567-801"),
    ("0353-1234567转801", "0353-1234567-801"),
    ("0353 1234567 分机 801", "0353-1234567-801"),
    ("0353-1234567 ext. 801", "0353-1234567-801"),
])
def test_phone_numbers_are_stored_in_one_form(typed, stored):
    assert normalise_phone(typed) == stored
    assert normalise_phone(stored) == stored  # and the stored form reads back as itself


@pytest.mark.parametrize("typed", [
    "1234567",  # a local number without its area code
    "1380000000",  # ten digits
    "138000000012",  # twelve
    "23800000001",  # not 13x–19x
    "12800000001",
    "0300-1234567",  # no such area code
    "0353-123",
    "400-810-8888",  # neither a mobile nor a landline
    "95588",
    "13800000001/13900000002",  # two numbers in one cell
    "13800000001转801",  # mobiles have no extension
    "张伟",
])
def test_phone_numbers_that_are_refused(typed):
    with pytest.raises(ValueError):
        normalise_phone(typed)


@pytest.mark.parametrize(("cell", "stored"), [
    (13800000001, "13800000001"),
    (13800000001.0, "13800000001"),
    (3531234567, "0353-1234567"),  # 0353-1234567 in a number cell: Excel drops the trunk 0
    (2162751234, "021-62751234"),
    (1062751234, "010-62751234"),  # Beijing's 010 loses its 0 too, leaving a number that starts with 1
    (8613800000001, "13800000001"),  # a mobile with the country code, the + left out
])
def test_phone_numbers_typed_into_number_cells(cell, stored):
    assert phone_cell(cell) == stored


@pytest.mark.parametrize(("typed", "code"), [
    ("\ufeffC001", "C001"), ("C001\u200b", "C001"), ("\u2060C001\u200d", "C001"), ("\u3000U01\u3000", "U01"),
    ("\u00a0E001 ", "E001"), ("Ｃ００１", "C001"), ("91140300MA0K\u200b1234", "91140300MA0K1234"),
])
def test_codes_lose_spaces_and_invisible_characters(typed, code):
    assert clean_code(typed) == code


# --------------------------------------------------------------------------- phone numbers in a file


async def test_phone_numbers_are_normalised_when_stored(repos, clock, tmp_path):
    text = ("编号,名称,联系人,联系电话\n"
            "U01,太原理工大学,刘建国,(0351) 601 0001\n"
            "U02,山西农业大学,王秀兰,+86 354 628 8001 转 12\n"
            "U03,中北大学,赵志强,１３８ ００００ ０００１\n"
            "U04,山西大学,,\n")
    await import_ok(repos, clock, write_csv(tmp_path / "units.csv", text))
    stored = {code: (await repos.people.by_code(DispatchingUnit, code)).contact_phone
              for code in ("U01", "U02", "U03", "U04")}
    assert stored == {"U01": "0351-6010001", "U02": "0354-6288001-12", "U03": "13800000001", "U04": None}


async def test_a_bad_phone_number_is_refused_with_row_and_column_and_nothing_is_stored(repos, clock, tmp_path):
    await import_examples(repos, clock)
    text = ("编号,姓名,派出单位,电话\n"
            "C101,赵六,U01,13800000009\n"
            "C102,钱七,U01,1380000000\n"  # one digit short
            "C103,孙八,U02,6010001\n")  # no area code
    path = write_csv(tmp_path / "commissioners.csv", text)
    report = await import_bad(repos, clock, path, None)
    assert problems(report) == [(3, "bad_phone", "phone"), (4, "bad_phone", "phone")]
    assert await repos.people.by_code(Commissioner, "C101") is None
    for lang, words in (("zh", ("第 3 行", "「电话」不是有效的电话号码：1380000000", "0353-1234567")),
                        ("en", ("row 3", "phone is not a valid phone number: 1380000000", "area code"))):
        printed = _printed(lang, path, report)
        assert all(word in printed for word in words), printed


async def test_example_phones_are_unchanged_by_the_check(repos, clock):
    await import_examples(repos, clock)
    assert (await repos.people.by_code(Commissioner, "C001")).phone == "13800000001"
    assert (await repos.people.by_code(DispatchingUnit, "U01")).contact_phone == "0351-6010001"


# --------------------------------------------------------------------------- codes


async def test_codes_with_invisible_characters_match_their_rows(repos, clock, tmp_path):
    units = "code,name\n\ufeffU01\u200b,太原理工大学\n\u3000U02\u3000,山西农业大学\nＵ03,中北大学\n"
    await import_ok(repos, clock, write_csv(tmp_path / "units.csv", units))
    assert sorted(await repos.people.by_codes(DispatchingUnit, ["U01", "U02", "U03"])) == ["U01", "U02", "U03"]
    assert await repos.people.count(DispatchingUnit) == 3
    people = "编号,姓名,派出单位\nC001\u200b,张伟,U01\u2060\n C002 ,王芳,\ufeffU02\nＣ００３,李强,Ｕ03\n"
    report = await import_ok(repos, clock, write_csv(tmp_path / "commissioners.csv", people), None)
    assert dict(report.created) == {"commissioners": 3}
    c002 = await repos.people.by_code(Commissioner, "C002")
    assert c002.unit.code == "U02"
    assert (await repos.people.by_code(Commissioner, "C003")).unit.code == "U03"
    again = await import_ok(repos, clock, write_csv(tmp_path / "units.csv", "code,name\nU01,太原理工大学\n"))
    assert dict(again.unchanged) == {"units": 1}  # the same row, not a twin with an invisible character
    assert await repos.people.count(Enterprise) == 0


# --------------------------------------------------------------------------- empty files, missing columns


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n\n", b",,\n"], ids=["empty", "bom", "blank-lines", "commas"])
async def test_an_empty_file_names_the_columns_it_needs(repos, clock, tmp_path, content):
    path = tmp_path / "units.csv"
    path.write_bytes(content)
    report = await import_bad(repos, clock, path)
    assert problems(report) == [(None, "missing_column", "code"), (None, "missing_column", "name"),
                                (None, "no_header", None)]
    zh, en = _printed("zh", path, report), _printed("en", path, report)
    assert "没有表头" in zh and "缺少必需的列「编号」" in zh and "缺少必需的列「名称」" in zh, zh
    assert "no header row" in en and "“code” is missing" in en and "“name” is missing" in en, en
    assert await repos.people.count(DispatchingUnit) == 0


async def test_an_empty_file_of_no_known_kind_says_it_is_empty(repos, clock, tmp_path):
    path = write_csv(tmp_path / "data.csv", "")
    error = await _file_error(repos, clock, path)
    assert error.key == "empty_file"
    assert "文件是空的" in import_file_error(Translator("zh"), error)
    # With --kind, the kind's columns are named.
    report = await import_bad(repos, clock, path, Kind.AGREEMENTS)
    assert [p.column for _, p in report.problems if p.key == "missing_column"] == [
        "commissioner_code", "enterprise_code", "start_date", "end_date"]
    assert "缺少必需的列「特派员编号」" in _printed("zh", path, report)


async def test_a_missing_column_is_named_as_the_template_calls_it(repos, clock, tmp_path):
    path = write_csv(tmp_path / "commissioners.csv", "电话,县区\n13800000001,城区\n")
    report = await import_bad(repos, clock, path)
    assert problems(report) == [(None, "missing_column", "code"), (None, "missing_column", "name")]
    printed = _printed("zh", path, report)
    assert "缺少必需的列「编号」" in printed and "缺少必需的列「姓名」" in printed, printed  # not 名称
    assert "姓名" in template_csv(Translator("zh"), Kind.COMMISSIONERS, load_policy("yangquan"), 2026)


# --------------------------------------------------------------------------- every problem in one pass


async def test_unknown_codes_and_bad_cells_are_reported_together_row_by_row(repos, clock, tmp_path):
    await import_examples(repos, clock)
    text = ("编号,姓名,派出单位,电话,县区\n"
            "C101,赵六,U77,13800000009,城区\n"  # unknown unit
            "C102,钱七,U01,1380000000,城区\n"  # bad phone
            "C103,,U99,13800000010,城 区\n"  # no name, an unknown unit and a mistyped county
            "C104,孙八,U01,13800000011,不存在县\n"  # not one of the counties
            "C105,周九,U02,13800000012,矿区\n")  # good
    path = write_csv(tmp_path / "people.csv", text)
    report = await import_file(repos, clock, path, Kind.COMMISSIONERS, actor="test", counties=YANGQUAN_COUNTIES)
    assert not report.ok
    await repos.rollback()
    assert [(p.row, p.key) for _, p in report.problems] == [
        (2, "unknown_unit"), (3, "bad_phone"), (4, "missing_value"), (4, "unknown_county"), (4, "unknown_unit"),
        (5, "unknown_county")]
    printed = _printed("zh", path, report)
    assert printed.index("第 2 行") < printed.index("第 3 行") < printed.index("第 4 行") < printed.index("第 5 行")
    assert "没有编号为「U77」的派出单位" in printed
    assert await repos.people.by_code(Commissioner, "C105") is None  # nothing stored, not even the good row


async def test_codes_defined_in_the_same_workbook_are_known_even_on_a_bad_row(repos, clock, tmp_path):
    path = tmp_path / "county.xlsx"
    write_workbook(path, {
        "派出单位": [["编号", "名称", "联系电话"], ["U50", "新单位", "6010001"]],  # bad: no area code
        "企业": [["编号", "名称"], ["E50", "新企业"]],
        "特派员": [["编号", "姓名", "派出单位"], ["C50", "新特派员", "U50"]],
        "协议": [["特派员编号", "企业编号", "开始日期", "结束日期"],
               ["C50", "E50", "2026-01-01", "2026-12-31"],
               ["C50", "E999", "2026-01-01", "2026-12-31"]],
    })
    report = await import_bad(repos, clock, path)
    assert [(label, p.row, p.key) for label, p in report.problems] == [
        ("county.xlsx:派出单位", 2, "bad_phone"), ("county.xlsx:协议", 3, "unknown_enterprise")]
    assert await repos.people.count(DispatchingUnit) == 0
    assert await repos.people.count(Agreement) == 0


# --------------------------------------------------------------------------- the kind, by headers


async def test_headers_decide_the_kind_not_a_misleading_name(repos, clock, tmp_path):
    await import_examples(repos, clock)
    # Named for units, holds enterprises: read as enterprises, not as units with ignored columns.
    path = write_csv(tmp_path / "units.csv", "编号,名称,县区,地址,纬度,经度\nE100,新企业,城区,义井,37.86,113.57\n")
    report = await import_ok(repos, clock, path)
    assert dict(report.created) == {"enterprises": 1}
    assert await repos.people.by_code(DispatchingUnit, "E100") is None


async def test_commissioner_headers_in_a_file_named_for_units_ask_for_the_kind(repos, clock, tmp_path):
    await import_examples(repos, clock)
    for header in ("编号,姓名,派出单位", "code,name,unit"):  # "code,name" alone would fit units too
        path = write_csv(tmp_path / "comm-unknown-unit.csv", f"{header}\nC100,赵六,U77\n")
        error = await _file_error(repos, clock, path)
        assert error.key == "ambiguous_kind"
        assert error.values["kinds"] == (Kind.COMMISSIONERS, Kind.APPLICANTS)
        for lang, words in (("zh", ("commissioners（科技特派员）", "applicants（科技特派员申报人员）", "--kind commissioners")),
                            ("en", ("commissioners", "applicants", "--kind commissioners"))):
            message = import_file_error(Translator(lang), error)
            assert all(word in message for word in words), message
    assert await repos.people.count(DispatchingUnit) == 3
    # An explicit --kind always wins; then the unknown unit is what is wrong.
    report = await import_bad(repos, clock, path, Kind.COMMISSIONERS)
    assert problems(report) == [(2, "unknown_unit", "unit_code")]


async def test_a_tie_is_broken_by_the_name_or_by_kind(repos, clock, tmp_path):
    people = "编号,姓名,派出单位\nA100,赵六,U01\n"
    await import_examples(repos, clock)
    report = await import_ok(repos, clock, write_csv(tmp_path / "申报人员-2026.csv", people))
    assert dict(report.created) == {"applicants": 1}
    assert (await repos.people.by_code(Commissioner, "A100")).status == "applicant"
    report = await import_ok(repos, clock, write_csv(tmp_path / "commissioners.csv", people.replace("A100", "A101")),
                             Kind.APPLICANTS)  # --kind over the name
    assert dict(report.created) == {"applicants": 1}
    workbook = tmp_path / "export.xlsx"
    write_workbook(workbook, {"Sheet1": [["编号", "名称"], ["X1", "不知是单位还是企业"]]})
    error = await _file_error(repos, clock, workbook)
    assert (error.key, error.values["table"], error.values["kinds"]) == (
        "ambiguous_kind", "export.xlsx:Sheet1", (Kind.UNITS, Kind.ENTERPRISES, Kind.COMMISSIONERS, Kind.APPLICANTS))


# --------------------------------------------------------------------------- .xls


def _write_xls(path, sheets: dict[str, list[list[object]]]):  # noqa: ANN001, ANN202
    """A real Excel 97-2003 file (BIFF8), as xlwt writes it: text, numbers and date cells."""
    book = xlwt.Workbook(encoding="utf-8")
    as_date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, date):
                    sheet.write(r, c, value, as_date)
                elif value is not None:
                    sheet.write(r, c, value)
    book.save(str(path))
    return path


async def test_xls_workbook_imports_like_xlsx(repos, clock, tmp_path):
    path = _write_xls(tmp_path / "2026年度.xls", {
        "说明": [["县科技局整理"]],
        "派出单位": [["编号", "名称", "联系电话"], ["U01", "太原理工大学", "0351-6010001"]],
        "企业": [["编号", "名称", "纬度", "经度", "联系电话"],
               ["E001", "阳泉华鑫耐火材料有限公司", 37.8612, 113.5791, 13935300001]],  # a number cell
        "特派员": [["编号", "姓名", "派出单位", "电话"], [1001, "张伟", "U01", None]],  # 1001 stored as 1001.0
        "协议": [["特派员编号", "企业编号", "开始日期", "结束日期"], [1001, "E001", date(2026, 1, 1), "2026-12-31"]],
    })
    assert path.read_bytes()[:8] == bytes.fromhex("d0cf11e0a1b11ae1")  # an OLE2 compound file, not .xlsx
    report = await import_ok(repos, clock, path)
    assert dict(report.created) == {"units": 1, "enterprises": 1, "commissioners": 1, "agreements": 1}
    assert report.skipped_sheets == ["2026年度.xls:说明"]
    assert (await repos.people.by_code(Enterprise, "E001")).contact_phone == "13935300001"
    commissioner = await repos.people.by_code(Commissioner, "1001")
    [agreement] = await repos.people.agreements_of(commissioner_id=commissioner.id)
    assert (agreement.start_date, agreement.end_date) == (date(2026, 1, 1), date(2026, 12, 31))


async def test_xls_with_bad_rows_reports_them(repos, clock, tmp_path):
    path = _write_xls(tmp_path / "units.xls", {"Sheet1": [["编号", "名称", "联系电话"], ["U01", "大学", "601"]]})
    report = await import_bad(repos, clock, path, Kind.UNITS)
    assert problems(report) == [(2, "bad_phone", "contact_phone")]


async def test_a_web_page_saved_as_xls_is_refused_with_advice(repos, clock, tmp_path):
    path = tmp_path / "export.xls"
    path.write_text("<html><table><tr><td>编号</td></tr></table></html>", "utf-8")
    error = await _file_error(repos, clock, path)
    assert error.key == "bad_xls"
    assert "另存为 .xlsx" in import_file_error(Translator("zh"), error)
