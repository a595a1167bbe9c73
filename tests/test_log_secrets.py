"""Logs never show the bot token, phone numbers, invite tokens or console sign-in tokens, in text
or JSON, whichever library writes the line; and `tepai run` stops on SIGTERM without dropping the
update in flight.

The full run: a real `tepai run` at DEBUG with JSON logs (the settings' own logging), a local
Bot API: a county admin joins with an invite and shares a phone number, asks for a console link
(/web); a commissioner joins and logs a visit whose description holds phone numbers; SIGTERM
arrives while the screenshot downloads; the whole log is searched for every secret."""
from __future__ import annotations

import asyncio
import json
import logging
import re
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.logs import Redactor, configure_logging
from bot.settings import Settings
from domain.clock import SystemClock
from domain.roles import Role
from storage.models import ProcessedUpdate
from testkit.apiflow import ApiPerson, online_visit_until_upload, polled, wait_for
from testkit.botkit import BOT_TOKEN
from testkit.cli import cli_env
from testkit.fakes.bot_api import FakeBotApi
from testkit.worlds import invite, world  # noqa: F401 - the fixture
from tests.test_lease_takeover import no_quiet_hours_policy
from tests.test_run_e2e import TOKEN

INVITE = "Xq3_vT9-kLm2Pz8RwYb4Nc7D"
SIGN_IN = "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY"
PHONES = ["13912345678", "+8613912345678", "139 1234 5678", "0353-2345678", "+44 20 7946 0958"]


def _lines_with_every_secret() -> list[tuple[str, tuple]]:
    return [
        ("calling https://api.telegram.org/bot%s/getMe", (BOT_TOKEN,)),
        ("update text: /start %s", (INVITE,)),
        ("deep link https://t.me/tepai_bot?start=%s", (INVITE,)),
        ("console link http://127.0.0.1:8080/signin/%s sent", (SIGN_IN,)),
        ("contact shared: %s / 电话%s / 手机 %s / 座机%s / %s", tuple(PHONES)),
        ("a driver's parameters: %s", (json.dumps({"summary": f"电话{PHONES[0]}，座机{PHONES[3]}"}),)),  # \uXXXX
    ]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_every_kind_of_secret_is_replaced_in_lines_tracebacks_and_fields(log_format, capsys) -> None:  # noqa: ANN001
    configure_logging(Settings(_env_file=None, bot_token=BOT_TOKEN, log_format=log_format, log_level="DEBUG",
                               webhook_secret="hook-secret-value", s3_secret_key="s3-secret-value",
                               database_url="postgresql+asyncpg://tepai:pg-password-1@db/tepai",
                               redis_url="redis://:redis-password-1@10.0.0.5:6379/0"))
    log = logging.getLogger("tepai.test")
    for line, args in _lines_with_every_secret():
        log.debug(line, *args)
    try:
        raise RuntimeError(f"bad url /bot{BOT_TOKEN}/sendMessage for /start {INVITE} and 13912345678")
    except RuntimeError:
        log.exception("sending failed")
    log.info("with extra fields", extra={"phone": "13912345678", "link": f"/signin/{SIGN_IN}"})
    log.warning("secrets from the settings: %s %s %s %s", "hook-secret-value", "pg-password-1", "s3-secret-value",
                "redis-password-1")
    err = capsys.readouterr().err
    for secret in [BOT_TOKEN, BOT_TOKEN.split(":")[1], INVITE, SIGN_IN, "hook-secret-value", "pg-password-1", "s3-secret-value",
                   "redis-password-1",
                   *PHONES, "1234 5678", "2345678", "7946 0958"]:
        assert secret not in err, (secret, err)
    assert "bot<bot token>/getMe" in err and "/start <invite>" in err and "?start=<invite>" in err
    assert "/signin/<token>" in err and "电话<phone>" in err
    if log_format == "json":
        records = [json.loads(line) for line in err.strip().splitlines()]
        assert len(records) == 9  # one object a line, the traceback inside its own
        assert "Traceback" in records[6]["exc_info"]


def test_ordinary_numbers_are_left_alone() -> None:
    redact = Redactor({})
    line = ("update 812345678 of 123456789 handled in 1380 ms at 2026-10-15 13:05:09,123; "
            "visit 13 at 37.8615,113.5795; chat -1001391234567; id=0x139123456789")
    assert redact(line) == line


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # one run: logs do not depend on the database
async def test_a_full_run_at_debug_logs_no_secret_and_stops_after_its_update(world, tmp_path: Path) -> None:  # noqa: F811
    sessionmaker, _ = world
    database_url = sessionmaker.kw["bind"].url.render_as_string(hide_password=False)
    api = FakeBotApi()
    env = cli_env(TEPAI_DATA_DIR=str(tmp_path / "data"), TEPAI_BOT_TOKEN=TOKEN, TEPAI_API_SERVER=await api.start(),
                  TEPAI_DATABASE_URL=database_url, TEPAI_LOG_LEVEL="DEBUG", TEPAI_LOG_FORMAT="json",
                  TEPAI_POLICY=str(no_quiet_hours_policy(tmp_path / "policy.toml")))
    county_invite = await invite(sessionmaker, SystemClock(), Role.COUNTY, "城区")
    commissioner_invite = await invite(sessionmaker, SystemClock(), Role.COMMISSIONER, "C001")
    log = tmp_path / "tepai.log"
    with log.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
                                                    stdout=asyncio.subprocess.DEVNULL, stderr=err)
    try:
        await wait_for(lambda: any(m == "getUpdates" for m, _ in api.calls) or proc.returncode is not None, 120)
        assert proc.returncode is None, log.read_text(errors="replace")[-3000:]
        admin = ApiPerson(api, polled(api), 900)
        await admin.step(admin.text(f"/start {county_invite}"), "邀请已确认")
        before = len(api.sent_texts())
        await admin.deliver(admin.message(contact={"phone_number": PHONES[1], "first_name": "李", "user_id": 900}))
        await wait_for(lambda: len(api.sent_texts()) > before)
        await admin.step(admin.text("/web"), "/signin/")
        sign_in = re.search(r"/signin/([A-Za-z0-9_-]+)", api.sent_texts()[-1]).group(1)

        zhang = ApiPerson(api, polled(api), 777)
        await zhang.step(zhang.text(f"/start {commissioner_invite}"), "邀请已确认")
        await online_visit_until_upload(zhang, f"现场联系人电话{PHONES[0]}，座机{PHONES[3]}，远程指导窑炉温控参数设置。")
        api.delay = {"file": 1.5}  # Telegram turns slow: the screenshot is in flight when SIGTERM comes
        screenshot = zhang.screenshot()
        await zhang.deliver(screenshot)
        await wait_for(lambda: ("file", {"file_id": "shot1"}) in api.calls)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 60) == 0, log.read_text(errors="replace")[-3000:]
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await api.stop()
    assert any("已收到 1 个" in text for text in api.sent_texts())  # the update in flight was finished
    async with sessionmaker() as session:
        assert screenshot["update_id"] in set((await session.execute(select(ProcessedUpdate.update_id))).scalars())
    text = log.read_text("utf-8")
    assert "DEBUG" in text and "SIGTERM" in text
    for secret in [TOKEN, TOKEN.split(":")[1], county_invite, commissioner_invite, sign_in, *PHONES[:2], PHONES[3],
                   "13800000001"]:  # C001's number in the imported roster
        assert secret not in text, secret
