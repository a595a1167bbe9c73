"""`tepai`'s help and usage errors in the user's language: Chinese by default, English with
TEPAI_LANGUAGE=en; argparse's own texts from the catalogues; every option's default shown; lines
no wider than the terminal when Chinese characters take two columns."""
from __future__ import annotations

import argparse
import ast
import inspect

import pytest
import wcwidth

from bot import cli
from bot.cli_argparse import MESSAGES, PLURAL_MESSAGES, speaking
from bot.cli_parser import build_parser
from locales import LANGUAGES, Translator

# argparse texts only a programmer's mistake in building the parser reaches.
PROGRAMMER_ERRORS = {
    ".__call__() not defined", "conflicting subparser: %s", "conflicting subparser alias: %s",
    "cannot merge actions - two groups are named %r", "'required' is an invalid argument for positionals",
    "invalid option string %(option)r: must start with a character %(prefix_chars)r",
    "dest= is required for options like %r", "invalid conflict_resolution value: %r",
    "conflicting option string: %s", "mutually exclusive arguments must be optional",
    "cannot have multiple subparser arguments", "%r is not callable",
}


@pytest.fixture
def run(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.delenv("TEPAI_LANGUAGE", raising=False)

    def run_cli(*args: str, lang: str | None = None, columns: int = 100) -> tuple[int, str, str]:
        if lang:
            monkeypatch.setenv("TEPAI_LANGUAGE", lang)
        monkeypatch.setenv("COLUMNS", str(columns))
        try:
            code = cli.main(list(args))
        except SystemExit as exc:  # -h and usage errors end in argparse's exit
            code = exc.code
        out = capsys.readouterr()
        return code, out.out, out.err

    return run_cli


def test_help_is_chinese_by_default_with_the_defaults(run):
    code, out, _ = run("match", "-h")
    assert code == 0
    assert out.startswith("用法：tepai match")
    assert "显示帮助信息并退出" in out and "最多列出几位（默认：10）" in out
    assert "usage" not in out and "show this help" not in out and "default" not in out


def test_help_in_english_when_asked(run):
    code, out, _ = run("match", "-h", lang="en")
    assert code == 0 and out.startswith("usage: tepai match")
    assert "show this help message and exit" in out and "how many to list at most (default: 10)" in out
    assert "\noptions:\n" in out
    assert "用法" not in out


def test_a_bare_tepai_lists_the_commands_in_chinese(run):
    code, out, err = run()
    assert code == 0 and err == ""
    assert out.startswith("用法：tepai") and "\n命令：\n" in out and "\n选项：\n" in out and "  disqualify  按考核办法" in out


@pytest.mark.parametrize(("args", "zh", "en"), [
    (["import"], "tepai import：错误：缺少必需的参数：FILE", "tepai import: error: the following arguments are required: FILE"),
    (["import", "x.csv", "--kind", "people"], "参数 --kind：无效的选择：'people'（可选：'units'",
     "argument --kind: invalid choice: 'people' (choose from 'units'"),
    (["assess", "--year", "2026", "--bogus"], "无法识别的参数：--bogus", "unrecognized arguments: --bogus"),
    (["assess", "--year", "next"], "参数 --year：无效的 int 值：'next'", "argument --year: invalid int value: 'next'"),
    (["invite", "commissioner", "C001", "--days", "x"], "参数 --days：不是整数：x", "argument --days: not a whole number: x"),
    (["frobnicate"], "参数 命令：无效的选择：'frobnicate'", "argument COMMAND: invalid choice: 'frobnicate'"),
])
def test_usage_errors_in_the_users_language(run, args, zh, en):
    code, _, err = run(*args)
    assert code == 2 and zh in err and err.startswith("用法：tepai"), err
    code, _, err = run(*args, lang="en")
    assert code == 2 and en in err and err.startswith("usage: tepai"), err


def _subparsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _subparsers(sub)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_options_default_is_in_its_help(lang):
    t = Translator(lang)
    with speaking(t):
        parser = build_parser(t)
        shown = 0
        for each in _subparsers(parser):
            text = each.format_help()
            for action in each._actions:
                if action.option_strings and action.default not in (None, "", False, True, argparse.SUPPRESS):
                    assert t("argparse.default") % {"default": action.default} in text, (each.prog, action.dest)
                    shown += 1
    assert shown >= 6  # --host/--port twice, --out, --limit, --dir


@pytest.mark.parametrize("lang", LANGUAGES)
def test_help_lines_fit_the_terminal_by_display_width(run, lang):
    for args in ([], ["import", "-h"], ["invite", "-h"], ["webhook", "-h"], ["dossier", "-h"]):
        _, out, _ = run(*args, lang=lang, columns=60)
        too_wide = [line for line in out.splitlines() if wcwidth.width(line) > 60
                    and "{units,enterprises" not in line]  # one choice list argparse cannot break
        assert too_wide == [], args


def _argparse_message_ids() -> set[str]:
    ids = set()
    for node in ast.walk(ast.parse(inspect.getsource(argparse))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext"):
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                ids.add(node.args[0].value)
    return ids


def test_every_argparse_text_a_user_meets_is_in_the_catalogues():
    ids = _argparse_message_ids()
    assert "usage: " in ids and "the following arguments are required: %s" in ids
    assert sorted(ids - set(MESSAGES) - set(PLURAL_MESSAGES) - PROGRAMMER_ERRORS) == []
    for lang in LANGUAGES:
        t = Translator(lang)
        keys = [*MESSAGES.values(), *(f"{k}_{n}" for k in PLURAL_MESSAGES.values() for n in ("one", "other")),
                "argparse.default"]
        assert [k for k in keys if not t.has(k)] == []
