"""`tepai template KIND [--xlsx FILE]`: blank import tables whose headers are exactly what `tepai
import` accepts, with one example row that imports cleanly into an empty database; and the
example workbook in one header language per sheet."""
from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

from bot import cli
from domain.policy import PRESETS, load_policy
from domain.records import COLUMNS, KIND_ORDER, read_sheet
from locales import LANGUAGES, Translator
from services.import_template import header, template_rows
from testkit.databases import EXAMPLES

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_template_reads_as_its_kind_with_every_column(lang, preset):
    t, policy = Translator(lang), load_policy(preset)
    for kind in KIND_ORDER:
        rows = template_rows(t, kind, policy, 2026)
        sheet = read_sheet(kind, kind.value, rows)
        assert sheet.problems == [] and sheet.ignored_columns == [], (kind, sheet.problems, sheet.ignored_columns)
        assert len(sheet.records) == 1 and len(rows[0]) == len(COLUMNS[kind])
        if lang == "zh":
            assert all(CJK.search(h) for h in rows[0]), rows[0]  # Chinese headers


@pytest.fixture
def tepai(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for name in ("TEPAI_LANGUAGE", "TEPAI_DATABASE_URL", "TEPAI_POLICY", "TEPAI_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)

    def run(*args: str, lang: str = "zh") -> tuple[int, str, str]:
        monkeypatch.setenv("TEPAI_LANGUAGE", lang)
        code = cli.main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_csv_templates_import_one_after_another_into_an_empty_database(tepai, tmp_path):
    for kind in KIND_ORDER:
        code, csv_text, err = tepai("template", kind.value)
        assert code == 0, err
        assert csv_text.splitlines()[0].startswith(("编号", "特派员编号", "年度"))
        (tmp_path / f"{kind.value}.csv").write_text(csv_text, "utf-8")
        code, out, err = tepai("import", f"{kind.value}.csv")
        assert code == 0, err
        assert "新增 1" in out, out


def test_the_all_workbook_imports_cleanly_in_english_too(tepai, tmp_path):
    code, out, err = tepai("template", "all", "--xlsx", "templates/all.xlsx", lang="en")
    assert code == 0 and "all.xlsx" in out, err
    workbook = load_workbook(tmp_path / "templates" / "all.xlsx")
    assert workbook.sheetnames == [kind.value for kind in KIND_ORDER]
    code, out, err = tepai("import", "templates/all.xlsx", lang="en")
    assert code == 0, err
    assert out.count("1 new") == len(KIND_ORDER) or out.count("created 1") == len(KIND_ORDER), out


def test_template_words_and_mistakes(tepai):
    code, out, _ = tepai("template", "企业")  # a kind's Chinese name works too
    assert code == 0 and out.startswith("编号,名称,县区")
    code, _, err = tepai("template", "all")
    assert code == 2 and "--xlsx" in err
    code, _, err = tepai("template", "people")
    assert code == 2 and "units（派出单位）" in err


def test_the_example_workbook_has_one_header_language_per_sheet():
    t = Translator("zh")
    workbook = load_workbook(EXAMPLES / "tepai-example.xlsx", read_only=True)
    for sheet in workbook.worksheets:
        headers = [c for c in next(sheet.iter_rows(max_row=1, values_only=True)) if c]
        assert all(CJK.search(h) for h in headers), (sheet.title, headers)  # no English header beside Chinese
        # …and each is the template's header for its kind, so the example and the template agree.
        sheet_kind = next(k for k in KIND_ORDER if t(f"template.sheet.{k.value}") == sheet.title
                          or t(f"cli.kind.{k.value}") == sheet.title)
        assert set(headers) <= {header(t, sheet_kind, c.name) for c in COLUMNS[sheet_kind]}, sheet.title
