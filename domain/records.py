"""Import records: header aliases (English or Chinese), cell parsing and row checks. Pure.

A sheet is a header row and data rows; row numbers are the spreadsheet's own (the header is row 1).
Checks that need the database (unknown enterprise in an agreement) live in services.importer.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


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

KIND_ALIASES: dict[Kind, tuple[str, ...]] = {
    Kind.UNITS: ("units", "unit", "派出单位", "单位"),
    Kind.ENTERPRISES: ("enterprises", "enterprise", "企业", "派驻单位", "入驻企业", "服务对象"),
    # 企业需求 would otherwise be read as enterprises (it starts with 企业).
    Kind.NEEDS: ("needs", "need", "技术需求", "需求", "企业需求", "企业技术需求"),
    Kind.COMMISSIONERS: ("commissioners", "commissioner", "特派员", "科技特派员"),
    Kind.APPLICANTS: ("applicants", "applicant", "申报人员", "候选人", "报名人员", "科技特派员申报",
                      "特派员申报", "申报"),
    Kind.AGREEMENTS: ("agreements", "agreement", "协议", "服务协议", "派驻协议"),
    Kind.OPINIONS: ("opinions", "opinion", "考核意见", "意见", "县区意见", "派驻单位评价", "意见与评价"),
}

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
    text = str(value).strip()
    return text or None


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

# Commissioners and applicants (申报人员) share their columns.
_PERSON_COLUMNS = (
    Column("code", ("code", "编号", "特派员编号", "代码"), True),
    Column("name", ("name", "姓名", "名称"), True),
    Column("unit_code", ("unit", "unit_code", "派出单位", "派出单位编号"),),
    Column("title", ("title", "职称"),),
    Column("degree", ("degree", "学位"),),
    Column("expertise", ("expertise", "专业", "专业领域", "专长"),),
    Column("phone", ("phone", "电话", "手机", "联系电话"),),
    Column("county", ("county", "县区", "县（区）", "服务县区", "区县"),),
    Column("keywords", ("keywords", "关键词", "擅长方向", "研究方向"),),
    Column("capacity", ("capacity", "服务容量", "可服务企业数"), parse=capacity_cell, problem="capacity"),
)

COLUMNS: dict[Kind, tuple[Column, ...]] = {
    Kind.UNITS: (
        Column("code", ("code", "编号", "单位编号", "代码"), True),
        Column("name", ("name", "名称", "单位名称"), True),
        Column("contact_name", ("contact", "contact_name", "联系人"),),
        Column("contact_phone", ("phone", "contact_phone", "联系电话", "电话"),),
    ),
    Kind.ENTERPRISES: (
        Column("code", ("code", "编号", "企业编号", "代码"), True),
        Column("name", ("name", "名称", "企业名称"), True),
        Column("county", ("county", "县区", "县（区）", "所在县区", "区县"),),
        Column("address", ("address", "地址"),),
        Column("latitude", ("latitude", "lat", "纬度"), **_AS_NUMBER),
        Column("longitude", ("longitude", "lng", "lon", "经度"), **_AS_NUMBER),
        Column("contact_name", ("contact", "contact_name", "联系人"),),
        Column("contact_phone", ("phone", "contact_phone", "联系电话", "电话"),),
    ),
    Kind.NEEDS: (
        Column("code", ("code", "编号", "需求编号", "代码"), True, max_length=64),
        Column("enterprise_code", ("enterprise", "enterprise_code", "企业编号", "企业"), True),
        Column("field", ("field", "技术领域", "领域"), True, max_length=128),
        Column("description", ("description", "问题描述", "需求描述", "需求内容"), True),
        Column("expected_help", ("expected_help", "help", "期望帮助", "期望解决", "期望解决的问题"),
               parse=text_or_empty),
        Column("urgency", ("urgency", "紧急程度", "缓急"), parse=choice_cell(NEED_URGENCIES, "normal"),
               problem="urgency"),
        Column("status", ("status", "状态"), parse=choice_cell(NEED_STATUSES, "open"), problem="need_status"),
    ),
    Kind.COMMISSIONERS: _PERSON_COLUMNS,
    Kind.APPLICANTS: _PERSON_COLUMNS,
    Kind.AGREEMENTS: (
        Column("commissioner_code", ("commissioner", "commissioner_code", "特派员编号", "特派员"), True),
        Column("enterprise_code", ("enterprise", "enterprise_code", "企业编号", "企业"), True),
        Column("start_date", ("start", "start_date", "开始日期", "起始日期"), True, **_AS_DATE),
        Column("end_date", ("end", "end_date", "结束日期", "截止日期"), True, **_AS_DATE),
        Column("status", ("status", "状态"), parse=status_cell, problem="status"),
    ),
    Kind.OPINIONS: (
        Column("year", ("year", "年度", "考核年度", "年份"), True, parse=year_cell, problem="year"),
        Column("commissioner_code", ("commissioner", "commissioner_code", "特派员编号", "特派员"), True),
        Column("kind", ("kind", "类别", "意见类别", "类型"), True, parse=choice_cell(OPINION_KINDS, None),
               problem="opinion_kind"),
        Column("enterprise_code", ("enterprise", "enterprise_code", "企业编号", "派驻单位编号", "企业"),),
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


def _norm(header: object) -> str:
    text = "" if header is None else str(header)
    return re.sub(r"[\s\-]+", "_", text.replace("\ufeff", "").strip().lower())


def kind_from_name(name: str) -> Kind | None:
    """A kind from a file or sheet name: an exact alias first, then the longest alias it contains
    at either end ('派驻单位' is enterprises, though it ends with the units alias '单位')."""
    key = _norm(name)
    aliases = sorted(((_norm(a), kind) for kind, names in KIND_ALIASES.items() for a in names),
                     key=lambda pair: -len(pair[0]))
    for alias, kind in aliases:
        if key == alias:
            return kind
    for alias, kind in aliases:
        if key.startswith(alias) or key.endswith(alias):
            return kind
    return None


def _map_headers(kind: Kind, headers: list[object]) -> tuple[dict[int, str], list[str]]:
    lookup = {_norm(alias): col.name for col in COLUMNS[kind] for alias in (col.name, *col.aliases)}
    mapping: dict[int, str] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        name = lookup.get(_norm(header))
        if name is not None and name not in mapping.values():
            mapping[index] = name
        elif _norm(header):
            ignored.append(str(header))
    return mapping, ignored


def kind_from_headers(headers: list[object]) -> Kind | None:
    """The kind whose required columns are all present, preferring the one matching most columns."""
    best: tuple[int, Kind] | None = None
    for kind in KIND_ORDER:
        mapping, _ = _map_headers(kind, headers)
        found = set(mapping.values())
        if all(col.name in found for col in COLUMNS[kind] if col.required):
            score = len(found)
            if best is None or score > best[0]:
                best = (score, kind)
    return best[1] if best else None


def read_sheet(kind: Kind, label: str, rows: list[list[object]]) -> Sheet:
    """Check a header row and data rows; good rows become records, bad ones problems."""
    sheet = Sheet(kind=kind, label=label)
    if not rows:
        sheet.problems.append(Problem(None, "empty"))
        return sheet
    mapping, sheet.ignored_columns = _map_headers(kind, rows[0])
    missing = [c.name for c in COLUMNS[kind] if c.required and c.name not in mapping.values()]
    for name in missing:
        sheet.problems.append(Problem(None, "missing_column", column=name))
    if missing:
        return sheet
    seen_keys: dict[tuple, int] = {}
    for offset, raw in enumerate(rows[1:], start=2):
        if all(text_cell(v) is None for v in raw):
            continue  # blank lines between blocks are common in hand-kept sheets
        values = {name: (raw[i] if i < len(raw) else None) for i, name in mapping.items()}
        record, problems = _check_row(kind, offset, values)
        if not problems:
            key = _natural_key(kind, record)
            if key in seen_keys:
                problems.append(Problem(offset, "duplicate_row", value=f"{seen_keys[key]}"))
            else:
                seen_keys[key] = offset
        sheet.problems.extend(problems)
        if not problems:
            sheet.records.append((offset, record))
    if not sheet.records and not sheet.problems:
        sheet.problems.append(Problem(None, "empty"))
    return sheet


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
