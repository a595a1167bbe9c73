"""The command line as an operator meets it: an empty database said plainly, no claims about work
not done, --version, help for a bare `tepai`, and a quiet end when the reader stops early."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from testkit.cli import cli_env as _env
from testkit.cli import imported_dir  # noqa: F401 - a fixture
from testkit.cli import tepai as _tepai


@pytest.mark.parametrize("command", [["assess", "--year", "2026"], ["dossier", "--year", "2026"],
                                     ["match", "回转窑耐火材料"], ["notice"]])
def test_read_only_commands_on_a_missing_database_say_so_and_exit_1(tmp_path, command):
    result = _tepai(tmp_path, *command)
    assert result.returncode == 1, result.stdout
    assert "不存在或是空的" in result.stderr and "TEPAI_DATA_DIR=" in result.stderr
    assert "0 人" not in result.stdout
    assert not (tmp_path / "data").exists()  # looking did not create an empty database


def test_dossier_for_a_year_without_commissioners_writes_nothing_and_says_so(imported_dir):  # noqa: F811
    result = _tepai(imported_dir, "dossier", "--year", "1999", "--out", "dossiers-1999")
    assert result.returncode == 1
    assert "1999 年没有可考核的科技特派员" in result.stderr
    assert "已生成" not in result.stdout
    assert not (imported_dir / "dossiers-1999").exists()


def test_version_and_a_bare_tepai(tmp_path):
    version = _tepai(tmp_path, "--version")
    assert version.returncode == 0 and version.stdout.startswith("tepai ")
    bare = _tepai(tmp_path)
    assert bare.returncode == 0 and "用法：tepai" in bare.stdout and bare.stderr == ""


def test_a_reader_that_stops_early_ends_quietly(imported_dir):  # noqa: F811
    proc = subprocess.Popen([sys.executable, "-m", "bot", "assess", "--year", "2026"], cwd=imported_dir,
                            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # like `| head -0`: nobody reads what it prints
    _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()
    assert proc.returncode == 0


def test_county_names_are_checked_against_the_policy(tmp_path):
    from testkit.databases import EXAMPLES

    rows = (EXAMPLES / "enterprises.csv").read_text("utf-8").splitlines()
    bad = [rows[0], rows[1].replace(",城区,", ",城 区,", 1), rows[2].replace(",矿区,", ",不存在县,", 1)]
    (tmp_path / "enterprises.csv").write_text("\n".join(bad) + "\n", "utf-8")
    result = _tepai(tmp_path, "import", "enterprises.csv")
    assert result.returncode == 1
    assert "第 2 行" in result.stderr and "“城 区”" in result.stderr
    assert "第 3 行" in result.stderr and "“不存在县”" in result.stderr
    assert "城区、矿区、郊区、平定县、盂县、高新区" in result.stderr
    invite = _tepai(tmp_path, "invite", "county", "不存在县", TEPAI_BOT_USERNAME="tepai_test_bot")
    assert invite.returncode == 1 and "城区、矿区、郊区、平定县、盂县、高新区" in invite.stderr
    assert "t.me" not in invite.stdout


def test_invite_kind_in_chinese(imported_dir):  # noqa: F811
    made = _tepai(imported_dir, "invite", "科技特派员", "C001", TEPAI_BOT_USERNAME="tepai_test_bot")
    assert made.returncode == 0 and "t.me/tepai_test_bot?start=" in made.stdout, made.stderr
    assert re.search(r"（至 \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}）", made.stdout), made.stdout  # not 2026-12-17 13:05
    wrong = _tepai(imported_dir, "invite", "专家", "C001", TEPAI_BOT_USERNAME="tepai_test_bot")
    assert wrong.returncode == 2 and "commissioner（科技特派员）" in wrong.stderr
