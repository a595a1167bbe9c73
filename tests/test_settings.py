"""bot.settings.Settings, bot.factory.create_bot, and the `tepai` command line (run as a subprocess)."""
from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.factory import create_bot
from bot.settings import DEFAULT_API_SERVER, Settings
from locales import Translator
from testkit.cli import imported_dir  # noqa: F401 - a fixture
from testkit.cli import tepai as _tepai
from testkit.databases import EXAMPLES

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijklmn"
LINK = re.compile(r"^https://t\.me/tepai_test_bot\?start=[A-Za-z0-9_-]{32,64}$")


@pytest.fixture
def clean_env(monkeypatch, tmp_path) -> Path:  # noqa: ANN001
    """No TEPAI_* variables and an empty working directory (so no stray .env is read)."""
    for name in list(os.environ):
        if name.startswith("TEPAI_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --------------------------------------------------------------------------- Settings


def test_settings_defaults(clean_env):
    settings = Settings()
    assert settings.policy == "yangquan"
    assert settings.tz == "Asia/Shanghai"
    assert settings.zone.key == "Asia/Shanghai"
    assert settings.api_server == DEFAULT_API_SERVER == "https://api.telegram.org"
    assert settings.language == "zh"
    assert settings.bot_token is None
    assert settings.bot_username is None
    assert settings.database_url is None
    assert settings.db_url.startswith("sqlite+aiosqlite:///")
    assert settings.db_url == f"sqlite+aiosqlite:///{(clean_env / 'data').resolve() / 'tepai.db'}"


def test_settings_env_overrides(clean_env, monkeypatch):
    monkeypatch.setenv("TEPAI_API_SERVER", "http://127.0.0.1:8081/")
    monkeypatch.setenv("TEPAI_BOT_USERNAME", "@tepai_test_bot")
    monkeypatch.setenv("TEPAI_POLICY", "jincheng")
    monkeypatch.setenv("TEPAI_TZ", "Europe/Berlin")
    monkeypatch.setenv("TEPAI_LANGUAGE", "en")
    monkeypatch.setenv("TEPAI_BOT_TOKEN", TOKEN)
    settings = Settings()
    assert settings.api_server == "http://127.0.0.1:8081"
    assert settings.bot_username == "tepai_test_bot"
    assert settings.policy == "jincheng"
    assert settings.tz == "Europe/Berlin"
    assert settings.language == "en"
    assert settings.bot_token.get_secret_value() == TOKEN
    assert TOKEN not in repr(settings)  # the token is a secret


def test_settings_data_dir_and_database_url(clean_env, monkeypatch):
    monkeypatch.setenv("TEPAI_DATA_DIR", str(clean_env / "elsewhere"))
    assert Settings().db_url == f"sqlite+aiosqlite:///{clean_env / 'elsewhere' / 'tepai.db'}"
    monkeypatch.setenv("TEPAI_DATABASE_URL", "postgresql+asyncpg://u:p@db/tepai")
    assert Settings().db_url == "postgresql+asyncpg://u:p@db/tepai"


def test_settings_read_a_dotenv_file_in_the_working_directory(clean_env):
    (clean_env / ".env").write_text(
        "TEPAI_POLICY=jincheng\nTEPAI_BOT_USERNAME=@from_dotenv_bot\nTEPAI_API_SERVER=http://localhost:9000/\n",
        "utf-8",
    )
    settings = Settings()
    assert settings.policy == "jincheng"
    assert settings.bot_username == "from_dotenv_bot"
    assert settings.api_server == "http://localhost:9000"


def test_settings_environment_wins_over_dotenv(clean_env, monkeypatch):
    (clean_env / ".env").write_text("TEPAI_POLICY=jincheng\n", "utf-8")
    monkeypatch.setenv("TEPAI_POLICY", "yangquan")
    assert Settings().policy == "yangquan"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "not a zone", "../../etc/passwd"])
def test_settings_bad_time_zone_raises(clean_env, monkeypatch, zone):
    monkeypatch.setenv("TEPAI_TZ", zone)
    with pytest.raises(ValidationError) as err:
        Settings()
    assert "tz" in str(err.value)


def test_settings_bad_language_raises(clean_env, monkeypatch):
    monkeypatch.setenv("TEPAI_LANGUAGE", "fr")
    with pytest.raises(ValidationError):
        Settings()


# --------------------------------------------------------------------------- create_bot


async def test_create_bot_speaks_to_a_self_hosted_api_server():
    bot = create_bot(TOKEN, api_server="http://127.0.0.1:8081")
    try:
        url = bot.session.api.api_url(TOKEN, "getMe")
        assert url.startswith("http://127.0.0.1:8081")
        assert url == f"http://127.0.0.1:8081/bot{TOKEN}/getMe"
    finally:
        await bot.session.close()


async def test_create_bot_defaults_to_telegram():
    bot = create_bot(TOKEN)
    try:
        assert bot.session.api.api_url(TOKEN, "getMe").startswith("https://api.telegram.org/bot")
        assert bot.id == 123456789
    finally:
        await bot.session.close()


# --------------------------------------------------------------------------- the command line


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_cli_run_without_a_token_exits_2_with_one_line(tmp_path):
    result = _tepai(tmp_path, "run")
    assert result.returncode == 2, result.stderr
    assert _lines(result.stderr) == [Translator("zh")("cli.bad_token")]
    assert result.stdout == ""


def test_cli_run_with_a_garbage_token_exits_2(tmp_path):
    result = _tepai(tmp_path, "run", TEPAI_BOT_TOKEN="garbage")
    assert result.returncode == 2, result.stderr
    assert len(_lines(result.stderr)) == 1
    assert "garbage" not in result.stderr


def test_cli_import_examples_then_invite_prints_a_deep_link(tmp_path):
    for name in ("units.csv", "enterprises.csv", "commissioners.csv", "agreements.csv"):
        result = _tepai(tmp_path, "import", str(EXAMPLES / name))
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "tepai.db").is_file()

    result = _tepai(tmp_path, "invite", "commissioner", "C001", TEPAI_BOT_USERNAME="tepai_test_bot")
    assert result.returncode == 0, result.stderr
    last = result.stdout.splitlines()[-1]
    assert LINK.match(last), result.stdout
    assert "张伟" in result.stdout


def test_cli_invite_unknown_code_exits_1(imported_dir):
    result = _tepai(imported_dir, "invite", "commissioner", "NOPE", TEPAI_BOT_USERNAME="tepai_test_bot")
    assert result.returncode == 1, result.stderr
    assert "NOPE" in result.stderr
    assert "t.me" not in result.stdout


def test_cli_invite_days_sets_the_expiry(imported_dir):
    result = _tepai(imported_dir, "invite", "enterprise", "E001", "--days", "3",
                    TEPAI_BOT_USERNAME="tepai_test_bot")
    assert result.returncode == 0, result.stderr
    assert "3 天内有效" in result.stdout.splitlines()[0]
    assert LINK.match(result.stdout.splitlines()[-1])


@pytest.mark.parametrize("days", ["0", "-1", "100000000", "soon"])
def test_cli_invite_refuses_bad_days(imported_dir, days):
    result = _tepai(imported_dir, "invite", "commissioner", "C001", "--days", days,
                    TEPAI_BOT_USERNAME="tepai_test_bot")
    assert result.returncode == 2
    assert "--days" in _lines(result.stderr)[-1] and "Traceback" not in result.stderr
    assert "t.me" not in result.stdout


def test_cli_import_of_a_bad_file_exits_1_and_stores_nothing(tmp_path):
    bad = tmp_path / "units.csv"
    bad.write_text("code,name\nU01,太原理工大学\n,没有编号\n", "utf-8")
    result = _tepai(tmp_path, "import", str(bad))
    assert result.returncode == 1
    assert "第 3 行" in result.stderr
    with sqlite3.connect(tmp_path / "data" / "tepai.db") as db:
        assert db.execute("select count(*) from dispatching_units").fetchone() == (0,)


def test_cli_import_of_an_unreadable_file_exits_1(tmp_path):
    (tmp_path / "units.txt").write_text("code,name\n", "utf-8")
    result = _tepai(tmp_path, "import", str(tmp_path / "units.txt"))
    assert result.returncode == 1
    assert len(_lines(result.stderr)) == 1


def test_cli_demo_works_without_a_token(tmp_path):
    result = _tepai(tmp_path, "demo", "--dir", "X")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "X" / "tepai.db").is_file()
    t = Translator("zh")
    for kind in ("units", "enterprises", "needs", "commissioners", "applicants", "agreements"):
        assert re.search(rf"^\s*{t(f'cli.kind.{kind}')}\s*[:：]\s*[1-9]\d*\s*$", result.stdout, re.M), result.stdout
    with sqlite3.connect(tmp_path / "X" / "tepai.db") as db:
        assert db.execute("select count(*) from commissioners").fetchone()[0] > 0
        assert db.execute("select count(*) from invites").fetchone()[0] == 4
        assert db.execute("select count(*) from needs where status = 'open'").fetchone()[0] == 8
        assert db.execute("select count(*) from commissioners where status = 'applicant'").fetchone()[0] == 4
    # Its last lines say how the next commands read it, and they do.
    demo_dir = f"TEPAI_DATA_DIR={(tmp_path / 'X').resolve()}"
    assert any(line.strip().startswith(f"{demo_dir} tepai assess --year") for line in result.stdout.splitlines()[-3:])
    year = result.stdout.split(f"{demo_dir} tepai assess --year ", 1)[1].split()[0]
    assessed = _tepai(tmp_path, "assess", "--year", year, TEPAI_DATA_DIR=str(tmp_path / "X"))
    assert assessed.returncode == 0 and "：0 人" not in assessed.stdout, assessed.stderr


def test_cli_unknown_policy_exits_2_with_one_line(tmp_path):
    result = _tepai(tmp_path, "run", TEPAI_POLICY="/nonexistent")
    assert result.returncode == 2
    lines = _lines(result.stderr)
    assert len(lines) == 1
    assert "/nonexistent" in lines[0]


def test_cli_bad_setting_exits_2_with_one_line(tmp_path):
    result = _tepai(tmp_path, "demo", TEPAI_TZ="Mars/Olympus_Mons")
    assert result.returncode == 2
    lines = _lines(result.stderr)
    assert len(lines) == 1
    assert "TEPAI_TZ" in lines[0]
