"""Importing what the selection flow starts from: technical needs, applicants (申报人员), and the
commissioners' keywords and capacity. Pure parsing first, then real databases, then the CLI."""
from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from domain import selection
from domain.records import (
    KIND_ORDER,
    NEED_STATUSES,
    NEED_URGENCIES,
    Kind,
    Problem,
    read_sheet,
)
from domain.sheet_kinds import kind_from_name, kinds_from_headers
from services.demo import write_workbook
from services.importer import import_file
from storage.models import Commissioner, Enterprise, Need
from testkit.cli import tepai as _tepai
from testkit.databases import EXAMPLES
from testkit.importing import EXAMPLE_CSVS, import_bad, import_examples, import_ok, problems, write_csv

NEED_HEADER = ["需求编号", "企业编号", "技术领域", "问题描述", "期望帮助", "紧急程度", "状态"]
PERSON_HEADER = ["编号", "姓名", "派出单位", "专业领域", "擅长方向", "可服务企业数"]


def _need(urgency: object = "", status: object = "", **cells: object):
    row = {"code": "N001", "enterprise": "E001", "field": "耐火材料", "description": "回转窑耐火材料剥落严重",
           "help": "改进配方", **cells}
    return read_sheet(Kind.NEEDS, "needs", [NEED_HEADER, [*row.values(), urgency, status]])


def _capacity(value: object):
    return read_sheet(Kind.COMMISSIONERS, "c", [PERSON_HEADER, ["C001", "张伟", "", "耐火材料", "窑衬", value]])


# --------------------------------------------------------------------------- records (pure)


def test_choice_keys_are_the_selection_rules_values():
    assert tuple(NEED_URGENCIES) == selection.URGENCIES
    assert tuple(NEED_STATUSES) == selection.NEED_STATUSES


def test_kind_order_puts_needs_after_enterprises_and_applicants_after_commissioners():
    assert KIND_ORDER.index(Kind.ENTERPRISES) < KIND_ORDER.index(Kind.NEEDS) < KIND_ORDER.index(Kind.AGREEMENTS)
    assert KIND_ORDER.index(Kind.COMMISSIONERS) < KIND_ORDER.index(Kind.APPLICANTS)


@pytest.mark.parametrize(
    ("name", "kind"),
    [("needs", Kind.NEEDS), ("技术需求", Kind.NEEDS), ("需求", Kind.NEEDS), ("企业需求", Kind.NEEDS),
     ("2026 needs", Kind.NEEDS), ("applicants", Kind.APPLICANTS), ("申报人员", Kind.APPLICANTS),
     ("候选人", Kind.APPLICANTS), ("报名人员", Kind.APPLICANTS), ("科技特派员申报", Kind.APPLICANTS),
     ("科技特派员申报表", Kind.APPLICANTS), ("科技特派员", Kind.COMMISSIONERS)],
)
def test_kind_from_name_new_kinds(name, kind):
    assert kind_from_name(name) is kind


def test_kind_from_headers_needs_and_people_tie():
    assert kinds_from_headers(NEED_HEADER) == (Kind.NEEDS,)
    assert kinds_from_headers(["code", "enterprise", "field", "description"]) == (Kind.NEEDS,)
    # Applicants have the commissioners' columns: only the name or --kind tells them apart.
    assert kinds_from_headers(PERSON_HEADER) == (Kind.COMMISSIONERS, Kind.APPLICANTS)


def test_read_sheet_need_with_chinese_headers():
    sheet = _need("紧急", "待匹配")
    assert sheet.problems == []
    assert sheet.records == [(2, {"code": "N001", "enterprise_code": "E001", "field": "耐火材料",
                                  "description": "回转窑耐火材料剥落严重", "expected_help": "改进配方",
                                  "urgency": "high", "status": "open"})]


@pytest.mark.parametrize(("raw", "urgency"), [("低", "low"), ("一般", "normal"), ("普通", "normal"),
                                              ("高", "high"), ("紧急", "high"), ("HIGH", "high"),
                                              ("", "normal"), (None, "normal")])
def test_read_sheet_need_urgency_aliases(raw, urgency):
    assert _need(urgency=raw).records[0][1]["urgency"] == urgency


@pytest.mark.parametrize(("raw", "status"), [("待匹配", "open"), ("已匹配", "matched"), ("已关闭", "closed"),
                                             ("closed", "closed"), ("", "open")])
def test_read_sheet_need_status_aliases(raw, status):
    assert _need(status=raw).records[0][1]["status"] == status


def test_read_sheet_need_bad_urgency_and_status():
    assert _need(urgency="马上").problems == [Problem(2, "bad_urgency", column="urgency", value="马上")]
    assert _need(status="有效").problems == [Problem(2, "bad_need_status", column="status", value="有效")]


def test_read_sheet_need_optional_columns_default():
    rows = [["code", "enterprise", "field", "description"], ["N1", "E001", "煤化工", "催化剂失活快"]]
    sheet = read_sheet(Kind.NEEDS, "needs", rows)
    assert sheet.problems == []
    record = sheet.records[0][1]
    assert (record["expected_help"], record["urgency"], record["status"]) == ("", "normal", "open")


def test_read_sheet_need_required_and_too_long():
    assert _need(description="").problems == [Problem(2, "missing_value", column="description")]
    assert _need(field="领" * 129).problems == [Problem(2, "too_long", column="field", value="128")]
    assert _need(field="领" * 128).problems == []


@pytest.mark.parametrize(("raw", "capacity"), [("3", 3), (2, 2), (4.0, 4), ("1", 1), ("50", 50), ("", None),
                                               (None, None)])
def test_read_sheet_capacity(raw, capacity):
    sheet = _capacity(raw)
    assert sheet.problems == []
    assert sheet.records[0][1]["capacity"] == capacity
    assert sheet.records[0][1]["keywords"] == "窑衬"


@pytest.mark.parametrize("raw", ["0", "51", "2.5", "三", "-1"])
def test_read_sheet_bad_capacity(raw):
    assert _capacity(raw).problems == [Problem(2, "bad_capacity", column="capacity", value=raw)]


# --------------------------------------------------------------------------- needs (database)


async def test_example_needs_are_created_then_unchanged(repos, clock):
    await import_examples(repos, clock)
    report = await import_ok(repos, clock, EXAMPLES / "needs.csv")
    assert [s.kind for s in report.sheets] == [Kind.NEEDS]
    assert dict(report.created) == {"needs": 6}
    codes = set(await repos.session.scalars(select(Need.code)))
    assert codes == {"N001", "N002", "N003", "N004", "N005", "N006"}

    n001 = await repos.people.by_code(Need, "N001")
    assert n001.enterprise.code == "E001"
    assert "耐火砖配方" in n001.description
    assert (n001.field, n001.urgency, n001.status, n001.created_by, n001.file_ids) == (
        "耐火材料", "high", "open", "import", [])
    assert (await repos.people.by_code(Need, "N004")).urgency == "low"

    report = await import_ok(repos, clock, EXAMPLES / "needs.csv")
    assert sum(report.created.values()) == sum(report.updated.values()) == 0
    assert dict(report.unchanged) == {"needs": 6}
    assert await repos.people.count(Need) == 6


async def test_changed_need_counts_one_updated_and_keeps_its_creation(repos, clock, tmp_path):
    await import_examples(repos, clock)
    await import_ok(repos, clock, EXAMPLES / "needs.csv")
    created_at = (await repos.people.by_code(Need, "N002")).created_at
    clock.advance(timedelta(days=3))
    text = (EXAMPLES / "needs.csv").read_text("utf-8").replace(
        "推荐替代催化剂及再生工艺,一般,待匹配", "推荐替代催化剂及再生工艺,一般,已关闭")
    report = await import_ok(repos, clock, write_csv(tmp_path / "needs.csv", text))
    assert (dict(report.updated), dict(report.unchanged)) == ({"needs": 1}, {"needs": 5})
    n002 = await repos.people.by_code(Need, "N002")
    assert n002.status == "closed"
    assert n002.created_at == created_at


async def test_bad_need_rows_are_reported_and_nothing_is_stored(repos, clock, tmp_path):
    await import_examples(repos, clock)
    text = ("需求编号,企业编号,技术领域,问题描述,紧急程度\n"
            "N001,E001,耐火材料,回转窑耐火材料剥落严重,紧急\n"
            "N002,E404,煤化工,催化剂失活快,一般\n"
            "N003,E003,设施农业,温室夜间温度低,马上\n"
            "N004,E004,中药材,连翘加工粗放,低\n")
    report = await import_bad(repos, clock, write_csv(tmp_path / "needs.csv", text))
    # Bad cells and unknown enterprises in one pass, row by row.
    assert [(p.row, p.key) for _, p in report.problems] == [(3, "unknown_enterprise"), (4, "bad_urgency")]
    assert await repos.people.count(Need) == 0

    text = text.replace(",马上\n", ",高\n")
    report = await import_bad(repos, clock, write_csv(tmp_path / "needs.csv", text))
    assert problems(report) == [(3, "unknown_enterprise", "enterprise_code")]
    assert [p.value for _, p in report.problems] == ["E404"]
    assert await repos.people.count(Need) == 0
    assert len(await repos.audit.entries(entity="file")) == len(EXAMPLE_CSVS)  # the examples' only


async def test_needs_may_name_an_enterprise_from_the_same_workbook(repos, clock, tmp_path):
    path = tmp_path / "county.xlsx"
    write_workbook(path, {  # sheets in the wrong order on purpose: enterprises are stored first
        "技术需求": [NEED_HEADER, ["N9", "E9", "智能制造", "窑炉温度靠人工调节", "", "高", ""]],
        "企业": [["编号", "名称"], ["E9", "新企业"]],
    })
    report = await import_ok(repos, clock, path)
    assert [s.kind for s in report.sheets] == [Kind.ENTERPRISES, Kind.NEEDS]
    assert dict(report.created) == {"enterprises": 1, "needs": 1}
    need = await repos.people.by_code(Need, "N9")
    assert need.enterprise_id == (await repos.people.by_code(Enterprise, "E9")).id


# --------------------------------------------------------------------------- applicants (database)


async def test_example_applicants_are_stored_as_applicants(repos, clock):
    await import_examples(repos, clock)
    report = await import_ok(repos, clock, EXAMPLES / "applicants.csv")
    assert [s.kind for s in report.sheets] == [Kind.APPLICANTS]
    assert dict(report.created) == {"applicants": 3}
    a001 = await repos.people.by_code(Commissioner, "A001")
    assert (a001.status, a001.county, a001.capacity, a001.unit.code) == ("applicant", "郊区", 2, "U01")
    assert "耐火材料检测" in a001.keywords
    report = await import_ok(repos, clock, EXAMPLES / "applicants.csv")
    assert dict(report.unchanged) == {"applicants": 3}
    assert (await repos.people.by_code(Commissioner, "C001")).status == "active"  # others untouched


async def test_applicant_row_does_not_downgrade_a_commissioner(repos, clock, tmp_path):
    await import_examples(repos, clock)
    c002 = await repos.people.by_code(Commissioner, "C002")
    c002.status = "disqualified"  # barred until a day already past
    c002.barred_until = date(2026, 3, 15)
    await repos.commit()
    text = ("编号,姓名,派出单位,专业领域,关键词,服务容量\n"
            "C001,张伟,U01,耐火材料,窑衬寿命,4\n"
            "C002,王芳,U01,煤化工,催化剂,2\n"
            "A010,吴昊,U02,设施农业,温室,\n")
    report = await import_ok(repos, clock, write_csv(tmp_path / "申报人员.csv", text))
    assert (dict(report.created), dict(report.updated)) == ({"applicants": 1}, {"applicants": 2})
    c001 = await repos.people.by_code(Commissioner, "C001")
    assert (c001.status, c001.keywords, c001.capacity) == ("active", "窑衬寿命", 4)
    assert (await repos.people.by_code(Commissioner, "C002")).status == "disqualified"
    assert (await repos.people.by_code(Commissioner, "A010")).status == "applicant"


@pytest.mark.parametrize("barred_until", [date(2026, 3, 16), date(2027, 1, 1)], ids=["today", "later"])
async def test_barred_applicant_is_refused_and_nothing_is_stored(repos, clock, tmp_path, barred_until):
    await import_examples(repos, clock)  # the clock's day in Shanghai is 2026-03-16
    c003 = await repos.people.by_code(Commissioner, "C003")
    c003.status, c003.barred_until = "disqualified", barred_until
    await repos.commit()
    text = "编号,姓名,派出单位\nA020,新人,U01\nC003,李强,U02\n"
    report = await import_bad(repos, clock, write_csv(tmp_path / "applicants.csv", text))
    assert [(p.row, p.key, p.value) for _, p in report.problems] == [(3, "barred", barred_until.isoformat())]
    assert await repos.people.by_code(Commissioner, "A020") is None
    assert (await repos.people.by_code(Commissioner, "C003")).status == "disqualified"


async def test_commissioners_import_stores_keywords_and_capacity(repos, clock, tmp_path):
    await import_examples(repos, clock)
    text = "编号,姓名,派出单位,研究方向,可服务企业数\nC005,陈静,U01,窑炉自动控制,5\nC004,刘洋,U03,,\n"
    report = await import_ok(repos, clock, write_csv(tmp_path / "commissioners.csv", text))
    assert dict(report.updated) == {"commissioners": 2}
    c005 = await repos.people.by_code(Commissioner, "C005")
    assert (c005.keywords, c005.capacity, c005.status) == ("窑炉自动控制", 5, "active")
    assert (await repos.people.by_code(Commissioner, "C004")).capacity is None


async def test_bad_capacity_is_a_row_problem(repos, clock, tmp_path):
    text = "编号,姓名,服务容量\nC100,赵六,3\nC101,钱七,80\n"
    report = await import_bad(repos, clock, write_csv(tmp_path / "commissioners.csv", text))
    assert problems(report) == [(3, "bad_capacity", "capacity")]
    assert await repos.people.count(Commissioner) == 0


# --------------------------------------------------------------------------- the command line


def test_cli_imports_needs_and_applicants(tmp_path):
    for name in ("units.csv", "enterprises.csv", "needs.csv", "applicants.csv", "needs.csv"):
        result = _tepai(tmp_path, "import", str(EXAMPLES / name))
        assert result.returncode == 0, result.stderr
    assert "技术需求：新增 0，更新 0，未变 6" in result.stdout
    with sqlite3.connect(tmp_path / "data" / "tepai.db") as db:
        assert db.execute("select count(*) from needs").fetchone() == (6,)
        assert db.execute("select count(*) from commissioners where status = 'applicant'").fetchone() == (3,)


def test_cli_needs_naming_an_unknown_enterprise_exits_1(tmp_path):
    result = _tepai(tmp_path, "import", str(EXAMPLES / "needs.csv"))
    assert result.returncode == 1
    assert "第 2 行" in result.stderr and "E001" in result.stderr
    with sqlite3.connect(tmp_path / "data" / "tepai.db") as db:
        assert db.execute("select count(*) from needs").fetchone() == (0,)


def test_cli_kind_needs_for_a_file_named_otherwise(tmp_path):
    assert _tepai(tmp_path, "import", str(EXAMPLES / "enterprises.csv")).returncode == 0
    path = write_csv(tmp_path / "export.csv", "code,enterprise,field,description\nN1,E002,煤化工,催化剂失活快\n")
    result = _tepai(tmp_path, "import", str(path), "--kind", "needs")
    assert result.returncode == 0, result.stderr


async def test_import_file_compares_the_bar_with_the_zone_date(repos, clock, tmp_path):
    """At 02:00 UTC it is already the 16th in Shanghai, but still the 15th in New York."""
    from zoneinfo import ZoneInfo

    await import_examples(repos, clock)
    c003 = await repos.people.by_code(Commissioner, "C003")
    c003.barred_until = date(2026, 3, 15)
    await repos.commit()
    path = write_csv(tmp_path / "applicants.csv", "编号,姓名\nC003,李强\n")
    report = await import_file(repos, clock, path, None, actor="test", zone=ZoneInfo("America/New_York"))
    assert [p.key for _, p in report.problems] == ["barred"]
    await repos.rollback()
    report = await import_file(repos, clock, path, None, actor="test")  # Shanghai: the bar is over
    assert report.ok
