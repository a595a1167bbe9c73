"""`tepai run` when the Bot API cannot be reached: one clear line per attempt and a retry with
backoff, not a traceback and an exit; a wrong token is the one thing that stops it. TEPAI_PROXY
and TEPAI_LOG_LEVEL are settings like the others."""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.commands_cli import configure_logging
from bot.factory import create_bot
from bot.settings import Settings
from testkit.fakes.bot_api import FakeBotApi
from testkit.ports import free_port

TOKEN = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEPAI_")}
    env.update(TEPAI_DATA_DIR=str(tmp_path / "data"), TEPAI_BOT_TOKEN=TOKEN, TEPAI_SCHEDULER="off", **extra)
    return env


async def test_unreachable_api_is_retried_with_one_line_per_attempt(tmp_path) -> None:
    closed_port = free_port()  # nothing listens there
    run = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path,
        env=_env(tmp_path, TEPAI_API_SERVER=f"http://127.0.0.1:{closed_port}"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    lines: list[str] = []

    async def two_attempts() -> None:
        while sum("无法连接 Bot API" in line for line in lines) < 2:
            raw = await run.stderr.readline()
            if not raw:
                return
            lines.append(raw.decode())
    try:
        await asyncio.wait_for(two_attempts(), 120)  # a loaded machine imports slowly
    finally:
        if run.returncode is None:
            run.send_signal(signal.SIGINT)
        _, rest = await asyncio.wait_for(run.communicate(), 30)
    err = "".join(lines) + rest.decode()
    attempts = [line for line in err.splitlines() if "无法连接 Bot API" in line]
    assert len(attempts) >= 2, err
    assert f"127.0.0.1:{closed_port}" in attempts[0] and "1 秒后重试" in attempts[0]
    assert "2 秒后重试" in attempts[1]
    assert "Traceback" not in err
    assert run.returncode == 0


WEBHOOK = {"TEPAI_WEBHOOK_URL": "https://bot.example.cn/hook", "TEPAI_WEBHOOK_SECRET": "s"}


@pytest.mark.parametrize("command", ["run", "webhook"])
async def test_a_refused_token_exits_2_with_one_clear_line(tmp_path, command) -> None:  # noqa: ANN001
    """Telegram is reached before any background work starts, in both modes."""
    api = FakeBotApi()
    api.refuse_token = True
    base = await api.start()
    extra = WEBHOOK if command == "webhook" else {}
    args = [command, "--port", str(free_port())] if command == "webhook" else [command]
    try:
        run = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, cwd=tmp_path, env=_env(tmp_path, TEPAI_API_SERVER=base, **extra),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(run.communicate(), 60)
    finally:
        await api.stop()
    text = err.decode()
    assert run.returncode == 2, text
    assert "拒绝了这个 TEPAI_BOT_TOKEN" in text and "Traceback" not in text


async def test_proxy_setting_reaches_the_session(monkeypatch) -> None:
    monkeypatch.setenv("TEPAI_PROXY", "socks5://proxy.example.cn:1080")
    settings = Settings(_env_file=None)
    bot = create_bot(TOKEN, settings.api_server, proxy=settings.proxy)
    try:
        assert bot.session.proxy == "socks5://proxy.example.cn:1080"
    finally:
        await bot.session.close()


def test_log_level_default_info_and_scheduler_runs_quiet(monkeypatch) -> None:
    for name in ("TEPAI_LOG_LEVEL", "TEPAI_PROXY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.log_level == "INFO" and settings.proxy is None
    configure_logging(settings)
    assert logging.getLogger("apscheduler").getEffectiveLevel() == logging.WARNING
    configure_logging(Settings(_env_file=None, log_level="debug"))
    assert logging.getLogger("apscheduler").getEffectiveLevel() == logging.DEBUG
