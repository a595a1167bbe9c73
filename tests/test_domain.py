"""Pure unit tests of the domain layer and the translation catalogues (no database)."""
from __future__ import annotations

import base64
import hashlib
import re
import string
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from domain import invites, throttle
from domain.invites import InviteProblem, InviteState, hash_token, invite_problem, looks_like_token, new_token
from domain.policy import PRESETS, Policy, PolicyError, load_policy
from domain.progress import year_progress
from domain.records import (
    AGREEMENT_STATUSES,
    COLUMNS,
    Kind,
    Problem,
    read_sheet,
)
from domain.sheet_kinds import kind_from_name, kinds_from_headers
from domain.roles import Role
from locales import LANGUAGES, catalogue

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 16, 2, 0, tzinfo=timezone.utc)


# --------------------------------------------------------------------------- invite tokens


def _decoded_len(token: str) -> int:
    return len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


def test_new_token_is_url_safe_short_and_at_least_128_bits():
    for _ in range(50):
        token = new_token()
        assert re.fullmatch(r"[A-Za-z0-9_-]+", token), token
        assert len(token) <= 64
        assert _decoded_len(token) >= 16  # >= 128 bits of randomness
        assert looks_like_token(token)


def test_new_token_is_distinct_over_many_calls():
    tokens = {new_token() for _ in range(5000)}
    assert len(tokens) == 5000


def test_hash_token_is_sha256_hex_and_never_the_token():
    token = new_token()
    digest = hash_token(token)
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest != token
    assert hash_token(token) == digest  # deterministic
    assert hash_token(new_token()) != digest


@pytest.mark.parametrize("payload", ["a", "A-z_09", "x" * 64, pytest.param(new_token(), id="new_token"), "abc-DEF_123"])
def test_looks_like_token_accepts_deep_link_payloads(payload):
    assert looks_like_token(payload)


@pytest.mark.parametrize(
    "payload",
    ["", "x" * 65, "邀请码", "abc邀请", "abc def", "abc+def", "abc/def", "abc=", "a.b", "ａｂｃ", "\nabc"],
)
def test_looks_like_token_refuses_everything_else(payload):
    assert not looks_like_token(payload)


@pytest.mark.parametrize("payload", ["abc\n", "x" * 64 + "\n"])
def test_looks_like_token_refuses_a_trailing_newline(payload):
    # Regression: `^...$` with re.match let a trailing newline through.
    assert not looks_like_token(payload)


def test_deep_link_strips_at_sign():
    assert invites.deep_link("@tepai_bot", "tok") == "https://t.me/tepai_bot?start=tok"


def _state(expires_at=NOW + timedelta(days=1), used_at=None, revoked_at=None) -> InviteState:
    return InviteState(expires_at=expires_at, used_at=used_at, revoked_at=revoked_at)


def test_invite_problem_unknown_when_no_invite():
    assert invite_problem(None, NOW) is InviteProblem.UNKNOWN


def test_invite_problem_used():
    assert invite_problem(_state(used_at=NOW - timedelta(hours=1)), NOW) is InviteProblem.USED


def test_invite_problem_revoked_wins_over_used_and_expired():
    state = _state(expires_at=NOW - timedelta(days=1), used_at=NOW, revoked_at=NOW)
    assert invite_problem(state, NOW) is InviteProblem.REVOKED


def test_invite_problem_expiry_boundary():
    expires = NOW + timedelta(days=14)
    state = _state(expires_at=expires)
    assert invite_problem(state, expires - timedelta(microseconds=1)) is None
    assert invite_problem(state, expires) is InviteProblem.EXPIRED
    assert invite_problem(state, expires + timedelta(seconds=1)) is InviteProblem.EXPIRED


def test_invite_problem_ok():
    assert invite_problem(_state(), NOW) is None


def test_expiry_adds_days_and_refuses_less_than_one():
    assert invites.expiry(NOW) == NOW + timedelta(days=invites.DEFAULT_INVITE_DAYS)
    assert invites.expiry(NOW, 3) == NOW + timedelta(days=3)
    with pytest.raises(ValueError):
        invites.expiry(NOW, 0)


# --------------------------------------------------------------------------- throttle


def test_throttle_first_three_failures_are_free():
    for failures in range(throttle.FREE_FAILURES):
        assert throttle.locked_until(failures, NOW) is None
        assert throttle.wait_seconds(failures, NOW, NOW) == 0


def test_throttle_no_failure_time_means_no_wait():
    assert throttle.locked_until(10, None) is None
    assert throttle.wait_seconds(10, None, NOW) == 0


def test_throttle_waits_double_after_the_free_failures():
    waits = [throttle.wait_seconds(f, NOW, NOW) for f in range(3, 9)]
    assert waits == [30, 60, 120, 240, 480, 960]


def test_throttle_wait_is_capped_at_one_hour():
    for failures in (10, 12, 20, 40):
        assert throttle.locked_until(failures, NOW) == NOW + timedelta(hours=1)
        assert throttle.wait_seconds(failures, NOW, NOW) == 3600


def test_throttle_cap_holds_for_very_many_failures():
    # Regression: 30 s * 2**(failures - 3) overflowed timedelta from 45 failures on.
    for failures in (45, 46, 200, 10**6):
        assert throttle.locked_until(failures, NOW) == NOW + timedelta(hours=1)
        assert throttle.wait_seconds(failures, NOW, NOW) == 3600


def test_throttle_wait_counts_down_and_ends():
    last = NOW
    assert throttle.wait_seconds(4, last, last + timedelta(seconds=59.5)) == 1
    assert throttle.wait_seconds(4, last, last + timedelta(seconds=20)) == 40
    assert throttle.wait_seconds(4, last, last + timedelta(seconds=60)) == 0


def test_throttle_failures_accumulate():
    assert throttle.failures_after(0, None, NOW) == 1
    assert throttle.failures_after(5, NOW - timedelta(hours=23), NOW) == 6
    assert throttle.failures_after(5, NOW - timedelta(hours=24), NOW) == 6  # exactly 24 h: not yet quiet


def test_throttle_count_forgotten_after_a_quiet_day():
    assert throttle.failures_after(9, NOW - timedelta(hours=24, seconds=1), NOW) == 1


# --------------------------------------------------------------------------- policy


@pytest.mark.parametrize("name", PRESETS)
def test_presets_load(name):
    policy = load_policy(name)
    assert isinstance(policy, Policy)
    assert policy.key == name
    assert policy.service_kinds and len(policy.grades) >= 2


def test_yangquan_preset():
    policy = load_policy("yangquan")
    assert policy.top_grade_cap == 0.20
    assert policy.min_services_per_year is None
    assert policy.city("zh") == "阳泉市" and policy.city("en") == "Yangquan"


def test_jincheng_preset():
    policy = load_policy("jincheng")
    assert policy.min_services_per_year == 24
    assert [g.zh for g in policy.grades] == ["优秀", "称职", "不称职"]
    assert [g.text("en") for g in policy.grades] == ["Excellent", "Competent", "Incompetent"]


def _preset_text(name: str = "yangquan") -> str:
    return (ROOT / "domain" / "presets" / f"{name}.toml").read_text("utf-8")


def test_policy_loads_from_a_toml_path(tmp_path):
    path = tmp_path / "mycity.toml"
    path.write_text(_preset_text("jincheng").replace('key = "jincheng"', 'key = "mycity"', 1), "utf-8")
    policy = load_policy(str(path))
    assert policy.key == "mycity"
    assert policy.min_services_per_year == 24


def _load_text(tmp_path: Path, text: str) -> Policy:
    path = tmp_path / "policy.toml"
    path.write_text(text, "utf-8")
    return load_policy(str(path))


def test_policy_unknown_key_is_named(tmp_path):
    with pytest.raises(PolicyError) as err:
        _load_text(tmp_path, 'colour_scheme = "red"\n' + _preset_text())
    assert "colour_scheme" in str(err.value)
    assert "not permitted" in str(err.value).lower()


def test_policy_wrong_type_is_named(tmp_path):
    text = _preset_text().replace("invite_days = 14", 'invite_days = "fortnight"')
    with pytest.raises(PolicyError) as err:
        _load_text(tmp_path, text)
    assert "invite_days" in str(err.value)
    assert "integer" in str(err.value)


def test_policy_out_of_range_value_is_named(tmp_path):
    text = _preset_text().replace("top_grade_cap = 0.20", "top_grade_cap = 1.5")
    with pytest.raises(PolicyError) as err:
        _load_text(tmp_path, text)
    assert "top_grade_cap" in str(err.value)
    assert "less than or equal to 1" in str(err.value)


def test_policy_nested_key_is_named(tmp_path):
    text = _preset_text().replace("radius_m = 1000", "radius_m = -5")
    with pytest.raises(PolicyError) as err:
        _load_text(tmp_path, text)
    assert "visit.radius_m" in str(err.value)


def test_policy_duplicate_service_kind_keys(tmp_path):
    text = _preset_text().replace('{ key = "training"', '{ key = "policy"', 1)
    with pytest.raises(PolicyError) as err:
        _load_text(tmp_path, text)
    assert "service_kinds" in str(err.value)
    assert "unique" in str(err.value)


def test_policy_bad_toml(tmp_path):
    with pytest.raises(PolicyError) as err:
        _load_text(tmp_path, "key = \n" + _preset_text())
    assert "not valid TOML" in str(err.value)
    assert "policy.toml" in str(err.value)


def test_policy_missing_file(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(PolicyError) as err:
        load_policy(str(missing))
    assert str(missing) in str(err.value)
    assert "no such file" in str(err.value)


def test_policy_error_is_a_value_error():
    assert issubclass(PolicyError, ValueError)


# --------------------------------------------------------------------------- progress


def test_year_progress_jincheng_is_pro_rata():
    policy = load_policy("jincheng")
    today = date(2026, 7, 1)  # day 182 of 365
    progress = year_progress(policy, today, services=11, enterprises_served=1)
    assert progress.year == 2026
    assert progress.services_target == 24
    assert progress.expected_by_today == 24 * 182 // 365 == 11
    assert not progress.behind_pace
    assert year_progress(policy, today, services=10, enterprises_served=1).behind_pace
    assert progress.enterprises_target == policy.min_enterprises


def test_year_progress_jincheng_year_ends_at_target():
    policy = load_policy("jincheng")
    assert year_progress(policy, date(2026, 1, 1), 0, 0).expected_by_today == 0
    assert year_progress(policy, date(2026, 12, 31), 0, 0).expected_by_today == 24
    assert year_progress(policy, date(2028, 12, 31), 0, 0).expected_by_today == 24  # leap year
    assert not year_progress(policy, date(2026, 1, 1), 0, 0).behind_pace


def test_year_progress_yangquan_sets_no_pace():
    policy = load_policy("yangquan")
    progress = year_progress(policy, date(2026, 7, 1), services=0, enterprises_served=0)
    assert progress.services_target is None
    assert progress.expected_by_today is None
    assert not progress.behind_pace


# --------------------------------------------------------------------------- records


UNIT_ROWS_ZH = [["编号", "名称", "联系人", "联系电话"], ["U01", "太原理工大学", "刘建国", "0351-6010001"]]
UNIT_ROWS_EN = [["code", "name", "contact", "phone"], ["U01", "太原理工大学", "刘建国", "0351-6010001"]]


@pytest.mark.parametrize("rows", [UNIT_ROWS_ZH, UNIT_ROWS_EN], ids=["chinese", "english"])
def test_read_sheet_units_chinese_and_english_headers(rows):
    sheet = read_sheet(Kind.UNITS, "units", rows)
    assert sheet.problems == []
    assert sheet.records == [
        (2, {"code": "U01", "name": "太原理工大学", "contact_name": "刘建国", "contact_phone": "0351-6010001"})
    ]


def test_read_sheet_commissioners_chinese_headers():
    rows = [
        ["编号", "姓名", "派出单位", "职称", "学位", "专业领域", "电话", "县区"],
        ["C001", "张伟", "U01", "教授", "博士", "耐火材料", "13800000001", "城区"],
    ]
    sheet = read_sheet(Kind.COMMISSIONERS, "c", rows)
    assert sheet.problems == []
    _, record = sheet.records[0]
    assert record == {"code": "C001", "name": "张伟", "unit_code": "U01", "title": "教授", "degree": "博士",
                      "expertise": "耐火材料", "phone": "13800000001", "county": "城区",
                      "keywords": None, "capacity": None}  # absent optional columns


def test_read_sheet_enterprises_english_headers_parse_coordinates():
    rows = [["code", "name", "county", "address", "lat", "lng"], ["E001", "公司", "城区", "路 8 号", "37.86", 113.5]]
    sheet = read_sheet(Kind.ENTERPRISES, "e", rows)
    assert sheet.problems == []
    _, record = sheet.records[0]
    assert record["latitude"] == pytest.approx(37.86)
    assert record["longitude"] == pytest.approx(113.5)
    assert record["contact_name"] is None  # absent columns are None


def test_read_sheet_header_normalisation_bom_case_and_spaces():
    rows = [["\ufeffCODE", "  Name ", "Contact Name", "contact-phone", "备注"], ["U01", "大学", "刘", "0351-6010001", "x"]]
    sheet = read_sheet(Kind.UNITS, "units", rows)
    assert sheet.problems == []
    assert sheet.records[0][1] == {"code": "U01", "name": "大学", "contact_name": "刘", "contact_phone": "0351-6010001"}
    assert sheet.ignored_columns == ["备注"]


def test_read_sheet_excel_floats_become_integers_as_text():
    rows = [["code", "name", "contact", "phone"], [1001.0, "大学", None, 13800000001.0]]
    sheet = read_sheet(Kind.UNITS, "units", rows)
    assert sheet.problems == []
    record = sheet.records[0][1]
    assert record["code"] == "1001"
    assert record["contact_phone"] == "13800000001"
    assert record["contact_name"] is None


AGREEMENT_HEADER = ["commissioner", "enterprise", "start", "end", "status"]


def _agreement(start, end, status="active"):
    return read_sheet(Kind.AGREEMENTS, "a", [AGREEMENT_HEADER, ["C001", "E001", start, end, status]])


@pytest.mark.parametrize(
    "start",
    ["2026-01-31", "2026/1/31", "2026年1月31日", "2026.01.31", " 2026-1-31 ",
     datetime(2026, 1, 31, 0, 0), date(2026, 1, 31)],
)
def test_read_sheet_date_forms(start):
    sheet = _agreement(start, "2026-12-31")
    assert sheet.problems == []
    assert sheet.records[0][1]["start_date"] == date(2026, 1, 31)
    assert sheet.records[0][1]["end_date"] == date(2026, 12, 31)


@pytest.mark.parametrize("bad", ["31/01/2026", "2026-02-30", "tomorrow", "2026-13-01"])
def test_read_sheet_bad_date(bad):
    sheet = _agreement(bad, "2026-12-31")
    assert sheet.records == []
    assert sheet.problems == [Problem(2, "bad_date", column="start_date", value=bad)]


def test_read_sheet_missing_date_is_missing_value():
    sheet = _agreement("", "2026-12-31")
    assert sheet.problems == [Problem(2, "missing_value", column="start_date")]


@pytest.mark.parametrize(
    ("raw", "status"),
    [("有效", "active"), ("终止", "terminated"), ("已终止", "terminated"), ("ACTIVE", "active"),
     ("待生效", "pending"), ("到期", "ended"), ("", "active"), (None, "active")],
)
def test_read_sheet_status_aliases(raw, status):
    sheet = _agreement("2026-01-01", "2026-12-31", raw)
    assert sheet.problems == []
    assert sheet.records[0][1]["status"] == status
    assert status in AGREEMENT_STATUSES


def test_read_sheet_bad_status():
    sheet = _agreement("2026-01-01", "2026-12-31", "maybe")
    assert sheet.problems == [Problem(2, "bad_status", column="status", value="maybe")]


def test_read_sheet_status_column_absent_defaults_to_active():
    rows = [["commissioner", "enterprise", "start", "end"], ["C001", "E001", "2026-01-01", "2026-12-31"]]
    sheet = read_sheet(Kind.AGREEMENTS, "a", rows)
    assert sheet.problems == []
    assert sheet.records[0][1]["status"] == "active"


def test_read_sheet_end_before_start():
    sheet = _agreement("2026-06-01", "2026-05-31")
    assert [(p.row, p.key) for p in sheet.problems] == [(2, "end_before_start")]
    assert sheet.records == []


def test_read_sheet_same_start_and_end_is_fine():
    assert _agreement("2026-06-01", "2026-06-01").problems == []


ENTERPRISE_HEADER = ["编号", "名称", "纬度", "经度"]


def _enterprise(lat, lon):
    return read_sheet(Kind.ENTERPRISES, "e", [ENTERPRISE_HEADER, ["E001", "公司", lat, lon]])


@pytest.mark.parametrize(("lat", "lon", "key"), [(91, 113.5, "latitude_range"), (-90.5, 0, "latitude_range"),
                                                 (37.8, 181, "longitude_range"), (37.8, -180.01, "longitude_range")])
def test_read_sheet_coordinates_out_of_range(lat, lon, key):
    sheet = _enterprise(lat, lon)
    assert [(p.row, p.key) for p in sheet.problems] == [(2, key)]
    assert sheet.records == []


def test_read_sheet_coordinate_bounds_are_inclusive():
    assert _enterprise(90, 180).problems == []
    assert _enterprise(-90, -180).problems == []


@pytest.mark.parametrize(("lat", "lon"), [(37.8, None), (None, 113.5), ("", "113.5"), ("37.8", " ")])
def test_read_sheet_only_one_coordinate(lat, lon):
    sheet = _enterprise(lat, lon)
    assert [(p.row, p.key) for p in sheet.problems] == [(2, "coordinates_pair")]


def test_read_sheet_no_coordinates_is_fine():
    sheet = _enterprise(None, "")
    assert sheet.problems == []
    assert sheet.records[0][1]["latitude"] is None


def test_read_sheet_coordinate_not_a_number():
    sheet = _enterprise("北纬37度", 113.5)
    assert sheet.problems == [Problem(2, "bad_number", column="latitude", value="北纬37度")]


def test_read_sheet_missing_code():
    rows = [UNIT_ROWS_EN[0], ["U01", "大学", "", ""], ["", "学院", "", ""], ["   ", "研究所", "", ""]]
    sheet = read_sheet(Kind.UNITS, "units", rows)
    assert sheet.problems == [Problem(3, "missing_value", column="code"), Problem(4, "missing_value", column="code")]
    assert [row for row, _ in sheet.records] == [2]


def test_read_sheet_duplicate_rows_report_the_first_row_number():
    rows = [UNIT_ROWS_EN[0], ["U01", "甲", "", ""], ["U02", "乙", "", ""], ["U01", "丙", "", ""],
            ["U01", "丁", "", ""]]
    sheet = read_sheet(Kind.UNITS, "units", rows)
    assert sheet.problems == [Problem(4, "duplicate_row", value="2"), Problem(5, "duplicate_row", value="2")]
    assert [row for row, _ in sheet.records] == [2, 3]


def test_read_sheet_duplicate_agreements_are_by_pair_and_start():
    rows = [AGREEMENT_HEADER,
            ["C001", "E001", "2026-01-01", "2026-12-31", ""],
            ["C001", "E001", "2027-01-01", "2027-12-31", ""],  # a renewal, not a duplicate
            ["C001", "E001", "2026/1/1", "2026-06-30", ""]]
    sheet = read_sheet(Kind.AGREEMENTS, "a", rows)
    assert sheet.problems == [Problem(4, "duplicate_row", value="2")]


def test_read_sheet_missing_required_column():
    sheet = read_sheet(Kind.UNITS, "units", [["code", "contact"], ["U01", "刘"]])
    assert sheet.problems == [Problem(None, "missing_column", column="name")]
    assert sheet.records == []


def test_read_sheet_missing_several_required_columns():
    sheet = read_sheet(Kind.AGREEMENTS, "a", [["commissioner", "status"], ["C001", "有效"]])
    assert {p.column for p in sheet.problems} == {"enterprise_code", "start_date", "end_date"}
    assert all(p.row is None and p.key == "missing_column" for p in sheet.problems)


def test_read_sheet_blank_rows_are_skipped_and_row_numbers_kept():
    rows = [UNIT_ROWS_EN[0], ["U01", "甲", None, None], [], [None, None, None, None], ["", "  ", "", ""],
            ["U02", "乙", None, None], ["", "", ""]]
    sheet = read_sheet(Kind.UNITS, "units", rows)
    assert sheet.problems == []
    assert [row for row, _ in sheet.records] == [2, 6]


def test_read_sheet_short_rows_fill_with_none():
    sheet = read_sheet(Kind.UNITS, "units", [UNIT_ROWS_EN[0], ["U01", "甲"]])
    assert sheet.problems == []
    assert sheet.records[0][1]["contact_phone"] is None


def test_read_sheet_without_a_header_names_the_required_columns():
    for rows in ([], [["", None]], [[], []]):
        sheet = read_sheet(Kind.UNITS, "units", rows)
        assert sheet.problems == [Problem(None, "no_header"), Problem(None, "missing_column", "code"),
                                  Problem(None, "missing_column", "name")]


@pytest.mark.parametrize("rows", [[UNIT_ROWS_EN[0]], [UNIT_ROWS_EN[0], ["", "", "", ""]]])
def test_read_sheet_empty(rows):
    sheet = read_sheet(Kind.UNITS, "units", rows)
    assert sheet.problems == [Problem(None, "empty")]


@pytest.mark.parametrize(
    ("name", "kind"),
    [("企业", Kind.ENTERPRISES), ("入驻企业", Kind.ENTERPRISES), ("服务对象", Kind.ENTERPRISES),
     ("特派员", Kind.COMMISSIONERS), ("科技特派员", Kind.COMMISSIONERS),
     ("协议", Kind.AGREEMENTS), ("服务协议", Kind.AGREEMENTS), ("派驻协议", Kind.AGREEMENTS),
     ("派出单位", Kind.UNITS), ("单位", Kind.UNITS),
     ("units", Kind.UNITS), ("Units", Kind.UNITS), ("ENTERPRISES", Kind.ENTERPRISES),
     ("commissioner", Kind.COMMISSIONERS), ("Agreements", Kind.AGREEMENTS),
     ("units-2026", Kind.UNITS), ("2026 agreements", Kind.AGREEMENTS), ("\ufeffenterprises", Kind.ENTERPRISES)],
)
def test_kind_from_name(name, kind):
    assert kind_from_name(name) is kind


def test_kind_from_name_paizhu_danwei_is_enterprises():
    # Regression: 派驻单位 (enterprises) ends with the units alias 单位, and units were tried first.
    assert kind_from_name("派驻单位") is Kind.ENTERPRISES


@pytest.mark.parametrize("name", ["说明", "Sheet1", "", "readme"])
def test_kind_from_name_unknown(name):
    assert kind_from_name(name) is None


@pytest.mark.parametrize(
    ("headers", "kinds"),
    [(["code", "name", "contact", "phone"], (Kind.UNITS, Kind.ENTERPRISES)),  # the name breaks the tie
     (["编号", "名称", "县区", "地址", "纬度", "经度", "联系人", "联系电话"], (Kind.ENTERPRISES,)),
     (["编号", "姓名", "派出单位", "职称", "学位", "专业领域", "电话", "县区"], (Kind.COMMISSIONERS, Kind.APPLICANTS)),
     (["commissioner", "enterprise", "start", "end", "status"], (Kind.AGREEMENTS,)),
     (["特派员编号", "企业编号", "开始日期", "结束日期"], (Kind.AGREEMENTS,)),
     (["code", "name", "latitude", "longitude"], (Kind.ENTERPRISES,)),
     (["code", "name", "title", "degree"], (Kind.COMMISSIONERS, Kind.APPLICANTS))],
)
def test_kinds_from_headers(headers, kinds):
    assert kinds_from_headers(headers) == kinds


@pytest.mark.parametrize("headers", [["foo", "bar"], ["code"], [], ["name", "phone"]])
def test_kinds_from_headers_unknown(headers):
    assert kinds_from_headers(headers) == ()


# --------------------------------------------------------------------------- translation catalogues


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def test_catalogues_have_the_same_keys():
    zh, en = catalogue("zh"), catalogue("en")
    assert sorted(set(zh) - set(en)) == []
    assert sorted(set(en) - set(zh)) == []


def test_catalogues_have_the_same_placeholders_per_key():
    zh, en = catalogue("zh"), catalogue("en")
    different = {key: (_placeholders(zh[key]), _placeholders(en[key])) for key in zh.keys() & en.keys()
                 if _placeholders(zh[key]) != _placeholders(en[key])}
    assert different == {}


def test_catalogue_templates_are_valid_format_strings():
    for lang in LANGUAGES:
        for key, template in catalogue(lang).items():
            try:
                list(string.Formatter().parse(template))
            except ValueError as exc:  # pragma: no cover - reported below
                pytest.fail(f"{lang} {key}: {exc}")


_LITERAL_KEY = re.compile(r"""(?:\bt|Translator\([^()]*\))\(\s*(['"])([^'"{}\s]+)\1""")


def _code_files() -> list[Path]:
    return sorted(p for folder in ("bot", "handlers", "services") for p in (ROOT / folder).rglob("*.py"))


def test_every_literal_key_used_in_code_exists():
    zh = catalogue("zh")
    used: dict[str, list[str]] = {}
    for path in _code_files():
        for match in _LITERAL_KEY.finditer(path.read_text("utf-8")):
            used.setdefault(match.group(2), []).append(path.relative_to(ROOT).as_posix())
    assert len(used) > 20, "the scan found almost nothing: is the regex still right?"
    missing = {key: files for key, files in used.items() if key not in zh}
    assert missing == {}


def test_dynamic_key_families_exist():
    """Keys built with f-strings in the code: every value they can take has a text."""
    zh = catalogue("zh")
    wanted = [f"cli.kind.{k.value}" for k in Kind]
    wanted += [f"start.invite_{p.value}" for p in InviteProblem]
    wanted += [f"roles.{r.value}{suffix}" for r in Role for suffix in ("", "_of", "_can")]
    wanted += [f"agreement.status.{s}" for s in AGREEMENT_STATUSES]
    wanted += [f"importer.column.{c.name}" for cols in COLUMNS.values() for c in cols]
    wanted += [f"importer.{key}" for key in ("no_file", "too_big", "bad_type", "bad_encoding", "bad_xlsx",
                                               "unknown_kind", "empty_file", "ambiguous_kind", "bad_xls")]
    from bot.commands import COMMANDS

    wanted += [f"commands.{c.name}" for c in COMMANDS]
    assert [key for key in wanted if key not in zh] == []


def test_every_problem_key_has_a_text():
    from services.import_checks import REFERENCES

    zh = catalogue("zh")
    sources = "".join((ROOT / name).read_text("utf-8") for name in (
        "domain/records.py", "services/importer.py", "services/import_checks.py", "services/import_files.py"))
    keys = set(re.findall(r"""Problem\([^,()]+,\s*"(\w+)\"""", sources))
    keys |= {f"bad_{c.problem}" for cols in COLUMNS.values() for c in cols if c.problem}  # f"bad_{…}"
    keys |= {ref.problem for refs in REFERENCES.values() for ref in refs}  # unknown_<what was named>
    assert {"bad_number", "bad_date", "bad_status", "bad_capacity", "bad_urgency"} <= keys
    assert {"missing_value", "duplicate_row", "unknown_unit", "unknown_enterprise"} <= keys
    assert sorted(k for k in keys if f"importer.problem.{k}" not in zh) == []
    keys = set(re.findall(r"""ImportFileError\(\s*"(\w+)\"""", sources))
    assert sorted(k for k in keys if f"importer.{k}" not in zh) == []


def test_held_ids_are_in_grant_order_each_once_and_holds_checks_the_role():
    from types import SimpleNamespace as Grant

    from domain.roles import Role, held_ids, holds

    grants = [Grant(role="enterprise", enterprise_id=7), Grant(role="commissioner", enterprise_id=None),
              Grant(role="enterprise", enterprise_id=3), Grant(role="enterprise", enterprise_id=7),
              Grant(role="enterprise", enterprise_id=None)]
    assert held_ids(grants, Role.ENTERPRISE, "enterprise_id") == [7, 3]
    assert holds(grants, Role.COMMISSIONER) and not holds(grants, Role.BUREAU)


def test_an_admin_may_not_also_answer_for_those_it_oversees():
    from types import SimpleNamespace as G

    from domain.roles import conflicts

    county, bureau = G(role="county", county="城区"), G(role="bureau", county=None)
    contact = G(role="enterprise", county="城区")
    assert conflicts([county], Role.ENTERPRISE, "城区") and conflicts([county], Role.COMMISSIONER, "城区")
    assert not conflicts([county], Role.ENTERPRISE, "矿区") and not conflicts([county], Role.UNIT, "城区")
    assert conflicts([bureau], Role.COMMISSIONER, "矿区")
    assert conflicts([contact], Role.COUNTY, "城区") and conflicts([contact], Role.BUREAU, "市科技局")
    assert not conflicts([contact], Role.COUNTY, "矿区") and not conflicts([], Role.ENTERPRISE, "城区")
