"""The command line as an operator meets it: an empty database said plainly, no claims about work
not done, --version, help for a bare `tepai`, and a quiet end when the reader stops early."""
from __future__ import annotations

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
    assert bare.returncode == 0 and "usage: tepai" in bare.stdout and bare.stderr == ""


def test_a_reader_that_stops_early_ends_quietly(imported_dir):  # noqa: F811
    proc = subprocess.Popen([sys.executable, "-m", "bot", "assess", "--year", "2026"], cwd=imported_dir,
                            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # like `| head -0`: nobody reads what it prints
    _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()
    assert proc.returncode == 0
