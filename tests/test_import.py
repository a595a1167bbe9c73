"""services.importer.import_file against real databases (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import date

import pytest

from domain.records import Kind
from services.demo import write_workbook
from services.importer import ImportFileError, import_file
from storage.models import Agreement, AuditEntry, Commissioner, DispatchingUnit, Enterprise
from storage.repositories import Repos
from testkit.databases import EXAMPLES
from testkit.importing import EXAMPLE_CSVS, import_bad, import_examples, import_ok, problems, write_csv

EXAMPLE_COUNTS = {"units": 3, "enterprises": 5, "commissioners": 5, "agreements": 6}
MODELS = {"units": DispatchingUnit, "enterprises": Enterprise, "commissioners": Commissioner,
          "agreements": Agreement}


async def _counts(repos: Repos) -> dict[str, int]:
    return {kind: await repos.people.count(model) for kind, model in MODELS.items()}


# --------------------------------------------------------------------------- the examples


async def test_example_csvs_then_workbook_are_created_then_unchanged(repos, clock):
    for name in EXAMPLE_CSVS:
        report = await import_ok(repos, clock, EXAMPLES / name)
        kind = name.removesuffix(".csv")
        assert [s.kind.value for s in report.sheets] == [kind]
        assert dict(report.created) == {kind: EXAMPLE_COUNTS[kind]}
        assert sum(report.updated.values()) == 0 and sum(report.unchanged.values()) == 0
    assert await _counts(repos) == EXAMPLE_COUNTS

    report = await import_ok(repos, clock, EXAMPLES / "tepai-example.xlsx")
    assert [s.kind.value for s in report.sheets] == ["units", "enterprises", "commissioners", "agreements"]
    assert sum(report.created.values()) == 0
    assert sum(report.updated.values()) == 0
    assert dict(report.unchanged) == EXAMPLE_COUNTS
    assert report.skipped_sheets == []
    assert await _counts(repos) == EXAMPLE_COUNTS

    for name in EXAMPLE_CSVS:  # and back again: the CSVs are still in step with the workbook
        report = await import_ok(repos, clock, EXAMPLES / name)
        assert sum(report.created.values()) == sum(report.updated.values()) == 0
    assert await _counts(repos) == EXAMPLE_COUNTS


async def test_example_workbook_alone_creates_everything(repos, clock):
    report = await import_ok(repos, clock, EXAMPLES / "tepai-example.xlsx")
    assert dict(report.created) == EXAMPLE_COUNTS
    assert await _counts(repos) == EXAMPLE_COUNTS
    report = await import_ok(repos, clock, EXAMPLES / "tepai-example.xlsx")
    assert dict(report.unchanged) == EXAMPLE_COUNTS


async def test_example_values_are_stored(repos, clock):
    await import_examples(repos, clock)
    c001 = await repos.people.by_code(Commissioner, "C001")
    assert c001.name == "张伟"
    assert c001.unit.code == "U01"
    assert c001.phone == "13800000001"
    e001 = await repos.people.by_code(Enterprise, "E001")
    assert e001.latitude == pytest.approx(37.8612)
    assert e001.longitude == pytest.approx(113.5791)
    agreements = await repos.people.agreements_of(commissioner_id=c001.id)
    assert [(a.enterprise.code, a.start_date, a.end_date, a.status) for a in agreements] == [
        ("E005", date(2026, 2, 1), date(2027, 1, 31), "active"),
        ("E001", date(2026, 1, 1), date(2026, 12, 31), "active"),
    ]


async def test_one_changed_field_counts_one_updated(repos, clock, tmp_path):
    await import_examples(repos, clock)
    text = (EXAMPLES / "units.csv").read_text("utf-8").replace("0351-6010001", "0351-6019999")
    report = await import_ok(repos, clock, write_csv(tmp_path / "units.csv", text))
    assert dict(report.updated) == {"units": 1}
    assert dict(report.unchanged) == {"units": 2}
    assert sum(report.created.values()) == 0
    assert (await repos.people.by_code(DispatchingUnit, "U01")).contact_phone == "0351-6019999"
    assert await _counts(repos) == EXAMPLE_COUNTS


async def test_changed_agreement_status_counts_one_updated(repos, clock, tmp_path):
    await import_examples(repos, clock)
    text = (EXAMPLES / "agreements.csv").read_text("utf-8").replace(
        "C003,E003,2026-01-01,2026-12-31,active", "C003,E003,2026-01-01,2026-12-31,终止")
    report = await import_ok(repos, clock, write_csv(tmp_path / "agreements.csv", text))
    assert dict(report.updated) == {"agreements": 1}
    assert dict(report.unchanged) == {"agreements": 5}
    c003 = await repos.people.by_code(Commissioner, "C003")
    [agreement] = await repos.people.agreements_of(commissioner_id=c003.id)
    assert agreement.status == "terminated"


async def test_commissioner_moved_to_another_unit(repos, clock, tmp_path):
    await import_examples(repos, clock)
    text = "编号,姓名,派出单位\nC001,张伟,U02\n"
    report = await import_ok(repos, clock, write_csv(tmp_path / "commissioners.csv", text))
    assert dict(report.updated) == {"commissioners": 1}
    c001 = await repos.people.by_code(Commissioner, "C001")
    assert c001.unit_id == (await repos.people.by_code(DispatchingUnit, "U02")).id


# --------------------------------------------------------------------------- bad files store nothing


async def test_bad_rows_are_reported_with_row_numbers_and_nothing_is_stored(repos, clock, tmp_path):
    path = tmp_path / "bad.xlsx"
    write_workbook(path, {
        "派出单位": [["code", "name"], ["U01", "太原理工大学"]],
        "企业": [["编号", "名称", "纬度", "经度"],
               ["E001", "好企业", 37.8, 113.5],
               ["", "没有编号的企业", None, None],
               ["E003", "坐标错误", 95, 113.5],
               ["E004", "只有纬度", 37.8, None]],
        "特派员": [["编号", "姓名", "派出单位"], ["C001", "张伟", "U01"]],
        "协议": [["commissioner", "enterprise", "start", "end"],
               ["C001", "E001", "2026-01-01", "2026-12-31"],
               ["C001", "E001", "2026-06-01", "2026-05-01"]],
    })
    report = await import_bad(repos, clock, path)
    assert problems(report) == sorted([
        (3, "missing_value", "code"),
        (4, "latitude_range", "latitude"),
        (5, "coordinates_pair", None),
        (3, "end_before_start", None),
    ], key=repr)
    labels = {label for label, _ in report.problems}
    assert labels == {"bad.xlsx:企业", "bad.xlsx:协议"}
    assert sum(report.created.values()) == 0
    assert await _counts(repos) == dict.fromkeys(MODELS, 0)
    assert await repos.audit.entries() == []


async def test_bad_csv_rows_store_nothing_not_even_the_good_rows(repos, clock, tmp_path):
    text = ("编号,名称,纬度,经度\n"
            "E001,好企业,37.8,113.5\n"
            ",没有编号,,\n"
            "E003,坐标错误,37.8,200\n"
            "E004,又一个好企业,,\n")
    report = await import_bad(repos, clock, write_csv(tmp_path / "enterprises.csv", text))
    assert problems(report) == [(3, "missing_value", "code"), (4, "longitude_range", "longitude")]
    assert await repos.people.count(Enterprise) == 0


async def test_agreement_naming_an_unknown_enterprise_stores_nothing_from_the_file(repos, clock, tmp_path):
    # Units, enterprises and commissioners are good and get flushed before the agreements are
    # checked against the database; the rollback must take them away again.
    path = tmp_path / "new.xlsx"
    write_workbook(path, {
        "派出单位": [["code", "name"], ["U50", "新单位"]],
        "企业": [["code", "name"], ["E50", "新企业"]],
        "特派员": [["code", "name", "unit"], ["C50", "新特派员", "U50"]],
        "协议": [["commissioner", "enterprise", "start", "end"],
               ["C50", "E50", "2026-01-01", "2026-12-31"],
               ["C50", "E999", "2026-01-01", "2026-12-31"],
               ["C999", "E50", "2026-02-01", "2026-12-31"]],
    })
    report = await import_bad(repos, clock, path)
    assert problems(report) == sorted([
        (3, "unknown_enterprise", "enterprise_code"),
        (4, "unknown_commissioner", "commissioner_code"),
    ], key=repr)
    assert [p.value for _, p in report.problems] == ["E999", "C999"]
    assert await _counts(repos) == dict.fromkeys(MODELS, 0)
    assert await repos.audit.entries() == []


async def test_failed_import_leaves_earlier_data_as_it_was(repos, clock, tmp_path):
    await import_examples(repos, clock)
    text = ("code,name,contact,phone\n"
            "U01,改名的大学,,\n"  # would be an update
            "U09,新单位,,\n"  # would be a new row
            ",缺编号,,\n")
    await import_bad(repos, clock, write_csv(tmp_path / "units.csv", text))
    assert await _counts(repos) == EXAMPLE_COUNTS
    assert (await repos.people.by_code(DispatchingUnit, "U01")).name == "太原理工大学"
    assert await repos.people.by_code(DispatchingUnit, "U09") is None


async def test_agreement_with_unknown_enterprise_csv(repos, clock, tmp_path):
    await import_examples(repos, clock)
    text = ("commissioner,enterprise,start,end\n"
            "C001,E002,2026-03-01,2026-12-31\n"
            "C001,E404,2026-03-01,2026-12-31\n")
    report = await import_bad(repos, clock, write_csv(tmp_path / "agreements.csv", text))
    assert problems(report) == [(3, "unknown_enterprise", "enterprise_code")]
    assert await repos.people.count(Agreement) == EXAMPLE_COUNTS["agreements"]


async def test_commissioner_naming_an_unknown_unit(repos, clock, tmp_path):
    await import_examples(repos, clock)
    text = ("编号,姓名,派出单位\n"
            "C100,赵六,U01\n"
            "C101,钱七,U77\n")
    report = await import_bad(repos, clock, write_csv(tmp_path / "commissioners.csv", text))
    assert problems(report) == [(3, "unknown_unit", "unit_code")]
    assert [p.value for _, p in report.problems] == ["U77"]
    assert await repos.people.by_code(Commissioner, "C100") is None
    assert await _counts(repos) == EXAMPLE_COUNTS


# --------------------------------------------------------------------------- file formats


async def test_gbk_encoded_csv_with_chinese_headers_imports(repos, clock, tmp_path):
    text = ("编号,名称,县区,地址,纬度,经度,联系人,联系电话\r\n"
            "E001,阳泉华鑫耐火材料有限公司,城区,城区义井工业园8号,37.8612,113.5791,李明,13935300001\r\n"
            "E002,盂县瑞升中药材种植专业合作社,盂县,盂县秀水镇12号,,,赵芳,\r\n")
    path = write_csv(tmp_path / "enterprises-gbk.csv", text, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8
    report = await import_ok(repos, clock, path)
    assert dict(report.created) == {"enterprises": 2}
    e001 = await repos.people.by_code(Enterprise, "E001")
    assert (e001.name, e001.county, e001.contact_name) == ("阳泉华鑫耐火材料有限公司", "城区", "李明")
    assert (await repos.people.by_code(Enterprise, "E002")).latitude is None


async def test_utf8_bom_csv_imports(repos, clock, tmp_path):
    path = write_csv(tmp_path / "units.csv", "code,name\nU01,太原理工大学\n", encoding="utf-8-sig")
    report = await import_ok(repos, clock, path)
    assert dict(report.created) == {"units": 1}


async def test_csv_kind_from_headers_when_the_name_says_nothing(repos, clock, tmp_path):
    path = write_csv(tmp_path / "export-2026.csv", "编号,名称,县区,纬度,经度\nE001,企业,城区,37.8,113.5\n")
    report = await import_ok(repos, clock, path)
    assert dict(report.created) == {"enterprises": 1}
    # Commissioners and applicants share their headers: see test_import_checks for that tie.


async def test_kind_argument_overrides_the_file_name(repos, clock, tmp_path):
    path = write_csv(tmp_path / "data.csv", "code,name,contact,phone\nE001,企业,,\n")
    report = await import_ok(repos, clock, path, Kind.ENTERPRISES)
    assert dict(report.created) == {"enterprises": 1}
    assert await repos.people.count(DispatchingUnit) == 0


async def test_txt_file_is_refused(repos, clock, tmp_path):
    path = write_csv(tmp_path / "units.txt", "code,name\nU01,大学\n")
    with pytest.raises(ImportFileError) as err:
        await import_file(repos, clock, path, None, actor="test")
    assert err.value.key == "bad_type"
    assert err.value.values == {"path": str(path)}


@pytest.mark.parametrize("content", [b"", b"this is not a zip file", b"PK\x03\x04 truncated"],
                         ids=["empty", "text", "truncated-zip"])
async def test_corrupt_xlsx_is_refused(repos, clock, tmp_path, content):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as err:
        await import_file(repos, clock, path, None, actor="test")
    assert err.value.key == "bad_xlsx"


async def test_missing_file_is_refused(repos, clock, tmp_path):
    with pytest.raises(ImportFileError) as err:
        await import_file(repos, clock, tmp_path / "nope.csv", None, actor="test")
    assert err.value.key == "no_file"


async def test_file_of_unknown_kind_is_refused(repos, clock, tmp_path):
    path = write_csv(tmp_path / "notes.csv", "foo,bar\n1,2\n")
    with pytest.raises(ImportFileError) as err:
        await import_file(repos, clock, path, None, actor="test")
    assert err.value.key == "unknown_kind"


async def test_workbook_with_an_extra_sheet_lists_it_as_skipped(repos, clock, tmp_path):
    path = tmp_path / "with-notes.xlsx"
    write_workbook(path, {
        "说明": [["本工作簿由县科技局整理"], ["请勿修改表头"]],
        "派出单位": [["编号", "名称"], ["U01", "太原理工大学"]],
        "企业": [["编号", "名称"], ["E001", "企业一"], ["E002", "企业二"]],
    })
    report = await import_ok(repos, clock, path)
    assert report.skipped_sheets == ["with-notes.xlsx:说明"]
    assert dict(report.created) == {"units": 1, "enterprises": 2}


async def test_ignored_columns_are_listed(repos, clock, tmp_path):
    path = write_csv(tmp_path / "units.csv", "code,name,备注\nU01,大学,重点单位\n")
    report = await import_ok(repos, clock, path)
    assert [s.ignored_columns for s in report.sheets] == [["备注"]]


# --------------------------------------------------------------------------- audit


async def test_successful_import_writes_an_audit_row(repos, clock):
    await import_ok(repos, clock, EXAMPLES / "tepai-example.xlsx")
    entries = await repos.audit.entries(entity="file")
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.actor, entry.action, entry.entity, entry.entity_id) == ("test", "import", "file",
                                                                        "tepai-example.xlsx")
    assert entry.details["created"] == EXAMPLE_COUNTS
    assert entry.details["updated"] == {} and entry.details["unchanged"] == {}
    assert entry.at.replace(tzinfo=None) == clock.now().replace(tzinfo=None)
    assert await repos.people.count(AuditEntry) == 1


async def test_utf16_tab_separated_csv_as_excel_unicode_text_writes_it(repos, clock, tmp_path):
    text = "编号\t名称\t联系人\t联系电话\r\nU01\t太原理工大学\t王老师\t0351-6010000\r\n"
    path = tmp_path / "units.csv"
    path.write_bytes(text.encode("utf-16"))  # with its BOM, as Excel's "Unicode text"
    report = await import_ok(repos, clock, path)
    assert dict(report.created) == {"units": 1}
    assert (await repos.people.by_code(DispatchingUnit, "U01")).name == "太原理工大学"



async def test_a_big_file_reports_its_rows_stored_as_it_goes(repos, clock, tmp_path):
    """`tepai import` draws its bar from these reports: rows stored so far of the file's total,
    flushed in chunks (the flush is the slow part), ending at the total."""
    from services.importer import STORE_CHUNK

    rows = STORE_CHUNK * 2 + 7
    text = "编号,名称,县区\n" + "".join(f"E{i:05d},企业{i},城区\n" for i in range(rows))
    seen: list[tuple[int, int]] = []
    report = await import_file(repos, clock, write_csv(tmp_path / "enterprises.csv", text), None, actor="test",
                               progress=lambda done, total: seen.append((done, total)))
    assert report.ok and report.created["enterprises"] == rows
    assert seen == [(0, rows), (STORE_CHUNK, rows), (STORE_CHUNK * 2, rows), (rows, rows)]
