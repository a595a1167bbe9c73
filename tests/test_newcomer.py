"""A newcomer's machine: every setting in .env.example with its default, a LICENSE, `python -m
tepai`, python3-venv installed by the set-up script, `make run` without the test tools."""
from __future__ import annotations

import re
import subprocess
import sys

from bot.settings import Settings
from testkit.databases import ROOT


def test_env_example_names_every_setting_with_its_default():
    text = (ROOT / ".env.example").read_text("utf-8")
    named = dict(re.findall(r"^#?\s*TEPAI_([A-Z0-9_]+)=(.*)$", text, re.M))
    assert set(named) == {name.upper() for name in Settings.model_fields}
    for name, field in Settings.model_fields.items():
        default = field.default
        if default is not None and name != "bot_token":
            assert named[name.upper()] == str(default), name


def test_readme_settings_table_lists_every_setting():
    text = (ROOT / "README.md").read_text("utf-8")
    table = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    first_cells = re.findall(r"^\| ([^|]*TEPAI_[^|]*) \|", table, re.M)
    listed = [name for cell in first_cells for name in re.findall(r"`TEPAI_([A-Z0-9_]+)`", cell)]
    assert sorted(listed) == sorted(name.upper() for name in Settings.model_fields)


def test_license_file_is_mit_as_pyproject_says():
    assert (ROOT / "LICENSE").read_text("utf-8").startswith("MIT License")
    assert re.search(r'^license = "MIT"$', (ROOT / "pyproject.toml").read_text("utf-8"), re.M)


def test_python_m_tepai_is_the_command_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "tepai", "--version"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.startswith("tepai "), result.stderr


def test_setup_installs_python3_venv_and_make_run_skips_the_test_tools():
    assert "python3-venv" in (ROOT / "scripts" / "setup-system.sh").read_text("utf-8")
    dry = subprocess.run(["make", "-n", "-B", "run"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "pip install" in dry.stdout and "[dev]" not in dry.stdout, dry.stdout


def _tepai(cwd, *args, **env):  # noqa: ANN001, ANN002, ANN003
    from testkit.cli import tepai as run
    return run(cwd, *args, **env)


def test_backup_and_restore_round_trip(tmp_path):
    import sqlite3

    from testkit.databases import EXAMPLES

    assert _tepai(tmp_path, "import", str(EXAMPLES / "tepai-example.xlsx")).returncode == 0
    photo = tmp_path / "data" / "evidence" / "originals" / "ab" / "abc.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8 a photo")
    made = _tepai(tmp_path, "backup", "tepai-backup.tar.gz")
    assert made.returncode == 0 and "1 个证据文件" in made.stdout, made.stderr
    # Restoring over a database is refused without --force; with it, the data comes back.
    refused = _tepai(tmp_path, "restore", "tepai-backup.tar.gz")
    assert refused.returncode == 1 and "--force" in refused.stderr
    with sqlite3.connect(tmp_path / "data" / "tepai.db") as db:
        before = db.execute("select count(*) from commissioners").fetchone()[0]
        db.execute("delete from agreements")
        db.execute("delete from commissioners")
    photo.unlink()
    back = _tepai(tmp_path, "restore", "tepai-backup.tar.gz", "--force")
    assert back.returncode == 0, back.stderr
    with sqlite3.connect(tmp_path / "data" / "tepai.db") as db:
        assert db.execute("select count(*) from commissioners").fetchone()[0] == before > 0
    assert photo.read_bytes() == b"\xff\xd8 a photo"
    # Into a fresh folder too, and a file that is no backup is refused.
    fresh = _tepai(tmp_path, "restore", "tepai-backup.tar.gz", TEPAI_DATA_DIR=str(tmp_path / "other"))
    assert fresh.returncode == 0 and (tmp_path / "other" / "tepai.db").is_file()
    (tmp_path / "junk.tar.gz").write_bytes(b"not a tar")
    junk = _tepai(tmp_path, "restore", "junk.tar.gz", TEPAI_DATA_DIR=str(tmp_path / "third"))
    assert junk.returncode == 1 and "不是 tepai backup" in junk.stderr


def test_backup_and_restore_report_their_progress(tmp_path):
    """What `tepai backup` / `restore` draw their progress bar from: files done of the total."""
    import sqlite3

    from storage.backup import backup, restore

    with sqlite3.connect(tmp_path / "tepai.db") as db:
        db.execute("create table t (x)")
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        (tmp_path / "evidence" / "originals").mkdir(parents=True, exist_ok=True)
        (tmp_path / "evidence" / "originals" / name).write_bytes(name.encode())
    saved: list[tuple[int, int]] = []
    assert backup(tmp_path / "tepai.db", tmp_path / "evidence", tmp_path / "b.tar.gz",
                  lambda done, total: saved.append((done, total))) == 3
    assert saved == [(0, 3), (1, 3), (2, 3), (3, 3)]
    restored: list[tuple[int, int]] = []
    assert restore(tmp_path / "b.tar.gz", tmp_path / "again" / "tepai.db", tmp_path / "again" / "evidence", force=False,
                   progress=lambda done, total: restored.append((done, total))) == 3
    assert restored[0] == (0, 4) and restored[-1] == (4, 4)  # the database and the three files
    assert (tmp_path / "again" / "evidence" / "originals" / "b.jpg").read_bytes() == b"b.jpg"


def test_backup_leaves_out_the_stores_scratch_files(tmp_path):
    """While the bot runs, the evidence folder also holds files on their way (staging/, .tmp-…)
    and /readyz's probes: they are no evidence, and one renamed or deleted between the listing and
    its turn in the archive made `tepai backup` fail. Only the evidence itself is archived."""
    import sqlite3
    import tarfile

    from storage.backup import backup

    sqlite3.connect(tmp_path / "tepai.db").close()
    evidence = tmp_path / "evidence"
    for scratch in ("staging/.up-1a2b", "originals/ab/.tmp-3c4d", ".readyz/5e6f"):
        (evidence / scratch).parent.mkdir(parents=True, exist_ok=True)
        (evidence / scratch).write_bytes(b"half")
    (evidence / "originals" / "ab" / "abc.jpg").write_bytes(b"\xff\xd8 a photo")
    assert backup(tmp_path / "tepai.db", evidence, tmp_path / "b.tar.gz") == 1
    with tarfile.open(tmp_path / "b.tar.gz") as tar:
        assert sorted(tar.getnames()) == ["evidence/originals/ab/abc.jpg", "tepai.db"]
