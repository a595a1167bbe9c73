"""`tepai webhook`: aiogram's request handler behind the secret, acknowledging after the commit,
on SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
import gc

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.settings import Settings
from bot.webhook import run_webhook, webhook_app, webhook_path
from domain.roles import Role
from locales import Translator
from storage.db import create_engine, create_sessionmaker
from storage.models import ProcessedUpdate, RoleGrant, User
from testkit.botkit import BOT_TOKEN, texts
from testkit.cli import tepai
from testkit.databases import pg_admin
from testkit.fakes.bot_api import FakeBotApi
from testkit.ports import free_port
from testkit.worlds import build, invite, world  # noqa: F401 - the fixture

SECRET = "s3cret-token_for-tests"
PATH = "/telegram/hook"
ZHANG_ID = 1001


@pytest.fixture
async def hook(world, policy, clock):  # noqa: ANN001, F811
    harness = build(world, policy, clock)
    client = TestClient(TestServer(webhook_app(harness.dp, harness.bot, path=PATH, secret=SECRET)))
    await client.start_server()
    yield harness, client
    await client.close()


async def _count(sessionmaker, model) -> int:  # noqa: ANN001
    async with sessionmaker() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def _post(client: TestClient, update: dict, secret: str | None = SECRET) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with client.post(PATH, json=update, headers=headers) as response:
        return response.status


async def test_good_secret_is_handled_and_a_redelivery_only_once(hook, world, clock) -> None:  # noqa: F811
    harness, client = hook
    token = await invite(world[0], clock, Role.COMMISSIONER, "C001")
    update = FakeBotApi.text_update(41, ZHANG_ID, f"/start {token}")
    assert await _post(client, update) == 200
    welcome = texts(harness.session.requests)
    assert welcome, "the invite was answered"
    assert await _post(client, update) == 200  # Telegram delivers it again: acknowledged, not redone
    assert texts(harness.session.requests) == welcome
    async with world[0]() as session:
        grants = (await session.execute(select(RoleGrant.role).join(User).where(User.telegram_id == ZHANG_ID))).all()
    assert [g.role for g in grants] == [Role.COMMISSIONER.value]
    assert await _count(world[0], ProcessedUpdate) == 1


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", "密钥"])
async def test_a_wrong_or_missing_secret_gets_401_and_nothing_is_stored(hook, world, secret) -> None:  # noqa: F811
    harness, client = hook
    users = await _count(world[0], User)
    assert await _post(client, FakeBotApi.text_update(42, 999, "/start"), secret) == 401
    assert harness.session.requests == []
    assert await _count(world[0], User) == users
    assert await _count(world[0], ProcessedUpdate) == 0


async def test_a_failing_update_answers_500_and_stays_unclaimed(world, policy, clock) -> None:  # noqa: F811
    harness = build(world, policy, clock)

    async def broken(handler, event, data):  # noqa: ANN001, ANN202, ARG001 - a bug inside the transaction
        raise RuntimeError("bug")

    harness.dp.update.outer_middleware(broken)
    async with TestClient(TestServer(webhook_app(harness.dp, harness.bot, path=PATH, secret=SECRET))) as client:
        assert await _post(client, FakeBotApi.text_update(43, 999, "/start")) == 500
    assert await _count(world[0], ProcessedUpdate) == 0  # Telegram's re-delivery gets another chance


def test_the_path_served_is_the_urls() -> None:
    assert webhook_path("https://bot.example.cn/telegram/hook?x=1") == "/telegram/hook"
    assert webhook_path("https://bot.example.cn") == "/"


def test_webhook_mode_without_url_or_secret_says_so(tmp_path) -> None:  # noqa: ANN001
    result = tepai(tmp_path, "webhook", TEPAI_BOT_TOKEN=BOT_TOKEN, TEPAI_LANGUAGE="en")
    assert result.returncode == 2
    assert "TEPAI_WEBHOOK_URL, TEPAI_WEBHOOK_SECRET" in result.stderr
    result = tepai(tmp_path, "webhook", TEPAI_BOT_TOKEN=BOT_TOKEN, TEPAI_WEBHOOK_URL="https://x.example/h")
    assert result.returncode == 2 and "TEPAI_WEBHOOK_SECRET" in result.stderr
    assert "Traceback" not in result.stderr


async def test_webhook_sets_the_webhook_and_serves_updates(tmp_path, database_url) -> None:  # noqa: ANN001
    api = FakeBotApi()
    port = free_port(18900, 18999)  # that work's range
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url=database_url, api_server=await api.start(),
                        webhook_url=f"https://bot.example.cn{PATH}", webhook_secret=SECRET, scheduler="off")
    from domain.policy import load_policy

    serving = asyncio.create_task(run_webhook(settings, load_policy("yangquan"), BOT_TOKEN, Translator("zh"),
                                              host="127.0.0.1", port=port, set_webhook=True))
    try:
        async with ClientSession() as http:
            for _ in range(200):  # until it listens
                try:
                    async with http.post(f"http://127.0.0.1:{port}{PATH}", json=FakeBotApi.text_update(7, 777, "/start"),
                                         headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                        assert response.status == 200
                        break
                except OSError:
                    await asyncio.sleep(0.05)
        set_webhook = [params for method, params in api.calls if method == "setWebhook"]
        assert len(set_webhook) == 1
        assert set_webhook[0]["url"] == f"https://bot.example.cn{PATH}"
        assert set_webhook[0]["secret_token"] == SECRET
        assert "callback_query" in set_webhook[0]["allowed_updates"]
        assert api.sent_texts(), "the /start was answered"
        for _ in range(100):  # what starting made is left out of garbage collection (bot.runner.settle)
            if gc.get_freeze_count():
                break
            await asyncio.sleep(0.05)
        assert gc.get_freeze_count() > 100_000
        if database_url.startswith("postgresql"):  # the server drops the worker's connections
            await pg_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                           f"AND datname = '{make_url(database_url).database}'")
            async with ClientSession() as http, http.post(
                    f"http://127.0.0.1:{port}{PATH}", json=FakeBotApi.text_update(8, 777, "/start"),
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                assert response.status == 200  # tried again on a fresh connection, no ping needed
            engine = create_engine(database_url)
            try:
                assert await _count(create_sessionmaker(engine), ProcessedUpdate) == 2
            finally:
                await engine.dispose()
    finally:
        serving.cancel()
        gc.unfreeze()
        with pytest.raises(asyncio.CancelledError):
            await serving
        await api.stop()



def test_json_logs_are_one_object_a_line_and_never_show_the_token(capsys) -> None:  # noqa: ANN001
    import json
    import logging

    from bot.commands_cli import configure_logging

    configure_logging(Settings(_env_file=None, bot_token=BOT_TOKEN, log_format="json"))
    log = logging.getLogger("tepai.test")
    log.info("calling https://api.telegram.org/bot%s/getMe", BOT_TOKEN)
    try:
        raise RuntimeError(f"bad url /bot{BOT_TOKEN}/sendMessage")
    except RuntimeError:
        log.exception("sending failed")
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 2
    records = [json.loads(line) for line in lines]
    assert records[0]["message"] == "calling https://api.telegram.org/bot<bot token>/getMe"
    assert BOT_TOKEN not in err and BOT_TOKEN.split(":")[1] not in err
