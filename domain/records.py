"""Import records: header aliases (English or Chinese), cell parsing and row checks. Pure.

A sheet is a header row and data rows; row numbers are the spreadsheet's own, as Excel shows them
(the header is row 1, or lower under a title: see header_row).
Checks that need the database (unknown enterprise in an agreement) live in services.importer.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from domain.cells import clean_code, normalise_phone, visible_text


class Kind(StrEnum):
    UNITS = "units"
    ENTERPRISES = "enterprises"
    NEEDS = "needs"
    COMMISSIONERS = "commissioners"
    APPLICANTS = "applicants"
    AGREEMENTS = "agreements"
    OPINIONS = "opinions"  # the county's opinion, a host unit's evaluation (for the dossier)


# Import order inside one workbook: later kinds refer to earlier ones. Applicants come after
# commissioners, so a person on both sheets keeps the commissioner's status.
KIND_ORDER = (Kind.UNITS, Kind.ENTERPRISES, Kind.NEEDS, Kind.COMMISSIONERS, Kind.APPLICANTS, Kind.AGREEMENTS,
              Kind.OPINIONS)

# Stored value: the cell texts (lower case) that mean it.
AGREEMENT_STATUSES: dict[str, tuple[str, ...]] = {
    "active": ("active", "有效", "生效", "执行中", "履行中"),
    "pending": ("pending", "待生效", "待签订"),
    "ended": ("ended", "已结束", "到期", "已到期"),
    "terminated": ("terminated", "终止", "已终止", "解除"),
}
NEED_URGENCIES: dict[str, tuple[str, ...]] = {  # the keys are domain.selection.URGENCIES
    "low": ("low", "低", "较低", "不急"),
    "normal": ("normal", "一般", "普通", "中", "中等", "正常"),
    "high": ("high", "urgent", "高", "较高", "紧急", "急", "较急", "很急", "特急", "非常紧急"),
}
NEED_STATUSES: dict[str, tuple[str, ...]] = {  # the keys are domain.selection.NEED_STATUSES
    "open": ("open", "待匹配", "未匹配", "待对接", "开放"),
    "matched": ("matched", "已匹配", "已对接"),
    "closed": ("closed", "已关闭", "关闭", "已解决", "已完成"),
}
OPINION_KINDS: dict[str, tuple[str, ...]] = {  # the keys are services.opinions.KINDS
    "county": ("county", "县区意见", "县（区）意见", "县区", "县（区）", "县区科技管理部门意见"),
    "host": ("host", "派驻单位评价", "派驻单位", "企业评价", "入驻企业意见", "企业"),
}
OPINION_MAX_CHARS = 1000
CAPACITY_RANGE = (1, 50)  # enterprises one commissioner can serve


def text_cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 1001 as 1001.0
    text = visible_text(str(value))
    return text or None


def code_cell(value: object) -> str | None:
    """A code column (编号 of any kind, or a reference to one): see domain.cells.clean_code."""
    text = text_cell(value)
    return (clean_code(text) or None) if text else None


def phone_cell(value: object) -> str | None:
    """A phone number in its stored form (domain.cells.normalise_phone); blank is None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = text_cell(value) or ""
        # Excel keeps 03531234567 typed into a number cell as 3531234567: the trunk 0 is implied.
        # A number without it is a mobile (138…, 86138…) or a landline that lost it, Beijing's
        # 010 among them (1062751234): what a leading digit cannot tell, the number's form does.
        try:
            return normalise_phone(text)
        except ValueError:
            return normalise_phone("0" + text)
    text = text_cell(value)
    return normalise_phone(text) if text else None


def number_cell(value: object) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        raise ValueError(str(value)) from None


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def date_cell(value: object) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _DATE.match(str(value).strip())
    if not match:
        raise ValueError(str(value))
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        raise ValueError(str(value)) from None


def text_or_empty(value: object) -> str:
    return text_cell(value) or ""


def choice_cell(choices: dict[str, tuple[str, ...]], default: str | None) -> Callable[[object], str | None]:
    """A parser for a cell holding one of `choices` (any of its texts); blank is `default`."""

    def parse(value: object) -> str | None:
        text = text_cell(value)
        if text is None:
            return default
        for key, aliases in choices.items():
            if text.lower() in aliases:
                return key
        raise ValueError(text)

    return parse


status_cell = choice_cell(AGREEMENT_STATUSES, "active")


def year_cell(value: object) -> int | None:
    number = number_cell(value)
    if number is None:
        return None
    if not number.is_integer() or not 2000 <= number <= 2100:
        raise ValueError(str(value))
    return int(number)


def capacity_cell(value: object) -> int | None:
    number = number_cell(value)
    if number is None:
        return None
    low, high = CAPACITY_RANGE
    if not number.is_integer() or not low <= number <= high:
        raise ValueError(str(value))
    return int(number)


@dataclass(frozen=True)
class Column:
    name: str
    aliases: tuple[str, ...]
    required: bool = False
    parse: Callable[[object], Any] = text_cell  # raises ValueError for a bad cell; gets None when absent
    problem: str | None = None  # a bad cell is importer.problem.bad_<problem>
    max_length: int | None = None


_AS_NUMBER = {"parse": number_cell, "problem": "number"}
_AS_DATE = {"parse": date_cell, "problem": "date"}
_AS_CODE = {"parse": code_cell}
_AS_PHONE = {"parse": phone_cell, "problem": "phone"}

# Commissioners and applicants (申报人员) share their columns.
_PERSON_COLUMNS = (
    Column("code", ("code", "编号", "特派员编号", "代码"), True, **_AS_CODE),
    Column("name", ("name", "姓名", "名称"), True),
    Column("unit_code", ("unit", "unit_code", "派出单位", "派出单位编号"), **_AS_CODE),
    Column("title", ("title", "职称"),),
    Column("degree", ("degree", "学位"),),
    Column("expertise", ("expertise", "专业", "专业领域", "专长"),),
    Column("phone", ("phone", "电话", "手机", "联系电话"), **_AS_PHONE),
    Column("county", ("county", "县区", "县（区）", "服务县区", "区县"),),
    Column("keywords", ("keywords", "关键词", "擅长方向", "研究方向"),),
    Column("capacity", ("capacity", "服务容量", "可服务企业数"), parse=capacity_cell, problem="capacity"),
)

COLUMNS: dict[Kind, tuple[Column, ...]] = {
    Kind.UNITS: (
        Column("code", ("code", "编号", "单位编号", "代码"), True, **_AS_CODE),
        Column("name", ("name", "名称", "单位名称"), True),
        Column("contact_name", ("contact", "contact_name", "联系人"),),
        Column("contact_phone", ("phone", "contact_phone", "联系电话", "电话"), **_AS_PHONE),
    ),
    Kind.ENTERPRISES: (
        Column("code", ("code", "编号", "企业编号", "代码"), True, **_AS_CODE),
        Column("name", ("name", "名称", "企业名称"), True),
        Column("county", ("county", "县区", "县（区）", "所在县区", "区县"),),
        Column("address", ("address", "地址"),),
        Column("latitude", ("latitude", "lat", "纬度"), **_AS_NUMBER),
        Column("longitude", ("longitude", "lng", "lon", "经度"), **_AS_NUMBER),
        Column("contact_name", ("contact", "contact_name", "联系人"),),
        Column("contact_phone", ("phone", "contact_phone", "联系电话", "电话"), **_AS_PHONE),
    ),
    Kind.NEEDS: (
        Column("code", ("code", "编号", "需求编号", "代码"), True, max_length=64, **_AS_CODE),
        Column("enterprise_code", ("enterprise", "enterprise_code", "企业编号", "企业"), True, **_AS_CODE),
        Column("field", ("field", "technical field", "技术领域", "领域"), True, max_length=128),
        Column("description", ("description", "问题描述", "需求描述", "需求内容"), True),
        Column("expected_help", ("expected_help", "help", "help expected", "期望帮助", "期望解决", "期望解决的问题"),
               parse=text_or_empty),
        Column("urgency", ("urgency", "紧急程度", "缓急"), parse=choice_cell(NEED_URGENCIES, "normal"),
               problem="urgency"),
        Column("status", ("status", "状态"), parse=choice_cell(NEED_STATUSES, "open"), problem="need_status"),
    ),
    Kind.COMMISSIONERS: _PERSON_COLUMNS,
    Kind.APPLICANTS: _PERSON_COLUMNS,
    Kind.AGREEMENTS: (
        Column("commissioner_code", ("commissioner", "commissioner_code", "特派员编号", "特派员"), True, **_AS_CODE),
        Column("enterprise_code", ("enterprise", "enterprise_code", "企业编号", "企业"), True, **_AS_CODE),
        Column("start_date", ("start", "start_date", "开始日期", "起始日期"), True, **_AS_DATE),
        Column("end_date", ("end", "end_date", "结束日期", "截止日期"), True, **_AS_DATE),
        Column("status", ("status", "状态"), parse=status_cell, problem="status"),
    ),
    Kind.OPINIONS: (
        Column("year", ("year", "年度", "考核年度", "年份"), True, parse=year_cell, problem="year"),
        Column("commissioner_code", ("commissioner", "commissioner_code", "特派员编号", "特派员"), True, **_AS_CODE),
        Column("kind", ("kind", "类别", "意见类别", "类型"), True, parse=choice_cell(OPINION_KINDS, None),
               problem="opinion_kind"),
        Column("enterprise_code", ("enterprise", "enterprise_code", "企业编号", "派驻单位编号", "企业"), **_AS_CODE),
        Column("text", ("text", "意见", "评价", "内容", "意见内容"), True, max_length=OPINION_MAX_CHARS),
    ),
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an import: `key` names a catalogue text (importer.problem.<key>)."""

    row: int | None  # None: the sheet as a whole
    key: str
    column: str | None = None
    value: str | None = None


@dataclass
class Sheet:
    kind: Kind
    label: str  # file or sheet name, for messages
    records: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    codes: set[str] = field(default_factory=set)  # every row's code, bad rows' too (see import_checks)
    # Bad rows with the cells that did read, so the file's other checks see them too.
    bad_rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def all_rows(self) -> list[tuple[int, dict[str, Any]]]:
        return sorted(self.records + self.bad_rows, key=lambda pair: pair[0])


def norm_header(header: object) -> str:
    text = "" if header is None else str(header)
    return re.sub(r"[\s\-]+", "_", visible_text(text).lower())


def map_headers(kind: Kind, headers: list[object]) -> tuple[dict[int, str], list[str]]:
    lookup = {norm_header(alias): col.name for col in COLUMNS[kind] for alias in (col.name, *col.aliases)}
    mapping: dict[int, str] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        name = lookup.get(norm_header(header))
        if name is not None and name not in mapping.values():
            mapping[index] = name
        elif norm_header(header):
            ignored.append(str(header))
    return mapping, ignored


# How far down a header row is looked for: a sheet often starts with its title (a merged cell
# such as "2026年阳泉市科技特派员名单"), maybe a date or unit line and a blank row.
HEADER_SEARCH_ROWS = 5


def has_required_columns(kind: Kind, headers: list[object]) -> bool:
    found = set(map_headers(kind, headers)[0].values())
    return all(col.name in found for col in COLUMNS[kind] if col.required)


def header_row(rows: list[list[object]], fits: Callable[[list[object]], bool]) -> int | None:
    """The index of the header row: the first of the first HEADER_SEARCH_ROWS rows whose headers
    `fits`; when none does, the first row that is not blank, whose headers the checks then find
    wanting (a missing column, an unknown kind) as they always did; None in a blank table."""
    found = (i for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]) if not _blank(row) and fits(row))
    return next(found, next((i for i, row in enumerate(rows) if not _blank(row)), None))


def read_sheet(kind: Kind, label: str, rows: list[list[object]]) -> Sheet:
    """Check the header row (see header_row) and the data rows below it; good rows become
    records, bad ones problems. A sheet without a header names every required column."""
    sheet = Sheet(kind=kind, label=label)
    header_at = header_row(rows, lambda headers: has_required_columns(kind, headers))
    if header_at is None:
        sheet.problems.append(Problem(None, "no_header"))
    mapping, sheet.ignored_columns = map_headers(kind, rows[header_at] if header_at is not None else [])
    missing = [c.name for c in COLUMNS[kind] if c.required and c.name not in mapping.values()]
    for name in missing:
        sheet.problems.append(Problem(None, "missing_column", column=name))
    if missing:
        return sheet
    seen_keys: dict[tuple, int] = {}
    for offset, raw in enumerate(rows[header_at + 1:], start=header_at + 2):
        if _blank(raw):
            continue  # blank lines between blocks are common in hand-kept sheets
        values = {name: (raw[i] if i < len(raw) else None) for i, name in mapping.items()}
        record, problems = _check_row(kind, offset, values)
        if record.get("code"):
            sheet.codes.add(record["code"])  # defined by this file even when the row is bad
        if not problems:
            key = _natural_key(kind, record)
            if key in seen_keys:
                problems.append(Problem(offset, "duplicate_row", value=f"{seen_keys[key]}"))
            else:
                seen_keys[key] = offset
        sheet.problems.extend(problems)
        (sheet.bad_rows if problems else sheet.records).append((offset, record))
    if not sheet.records and not sheet.problems:
        sheet.problems.append(Problem(None, "empty"))
    return sheet


def _blank(row: list[object]) -> bool:
    return all(text_cell(v) is None for v in row)


def _natural_key(kind: Kind, record: dict[str, Any]) -> tuple:
    if kind is Kind.AGREEMENTS:
        return (record["commissioner_code"], record["enterprise_code"], record["start_date"])
    if kind is Kind.OPINIONS:
        return (record["year"], record["commissioner_code"], record["kind"], record["enterprise_code"])
    return (record["code"],)


def _check_row(kind: Kind, row: int, values: dict[str, object]) -> tuple[dict[str, Any], list[Problem]]:
    record: dict[str, Any] = {}
    problems: list[Problem] = []
    for col in COLUMNS[kind]:
        raw = values.get(col.name)  # an absent column reads as blank: its parser gives the default
        try:
            parsed = col.parse(raw)
        except ValueError:
            problems.append(Problem(row, f"bad_{col.problem}", column=col.name, value=text_cell(raw)))
            continue
        if col.required and parsed is None:
            problems.append(Problem(row, "missing_value", column=col.name))
            continue
        if col.max_length is not None and len(parsed or "") > col.max_length:
            problems.append(Problem(row, "too_long", column=col.name, value=str(col.max_length)))
            continue
        record[col.name] = parsed
    if problems:
        return record, problems
    if kind is Kind.ENTERPRISES:
        problems.extend(_check_coordinates(row, record))
    if kind is Kind.OPINIONS and record["kind"] == "host" and not record["enterprise_code"]:
        problems.append(Problem(row, "missing_value", column="enterprise_code"))
    if kind is Kind.AGREEMENTS and record["end_date"] < record["start_date"]:
        problems.append(Problem(row, "end_before_start", value=f"{record['start_date']} > {record['end_date']}"))
    return record, problems


def _check_coordinates(row: int, record: dict[str, Any]) -> list[Problem]:
    lat, lon = record.get("latitude"), record.get("longitude")
    if (lat is None) != (lon is None):
        return [Problem(row, "coordinates_pair")]
    out = []
    if lat is not None and not -90 <= lat <= 90:
        out.append(Problem(row, "latitude_range", column="latitude", value=str(lat)))
    if lon is not None and not -180 <= lon <= 180:
        out.append(Problem(row, "longitude_range", column="longitude", value=str(lon)))
    return out
