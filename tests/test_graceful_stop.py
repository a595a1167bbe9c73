"""SIGTERM lets the work in flight finish: a real `tepai webhook` process, a slow local Bot API.
While an update waits on its screenshot's download and the sender waits on Telegram, SIGTERM
arrives: new posts are answered 503 (Telegram sends them again), /readyz says "stopping" while
/healthz still answers, the update completes and is stored, the sender's message is marked sent,
the lease is released, and the process exits 0.
On PostgreSQL, as N webhook workers run; `tepai run` on SQLite stops the same way
(tests/test_log_secrets.py). Also: a signal while starting ends the process quietly with 0, and
`tepai scheduler` stops on SIGTERM and releases the lease."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from aiohttp import ClientSession, ClientTimeout
from sqlalchemy import insert, select

from domain.clock import SystemClock
from domain.roles import Role
from scheduler.lease import Lease
from storage.models import OutboxMessage, ProcessedUpdate, User
from testkit.apiflow import ApiPerson, online_visit_until_upload, wait_for
from testkit.cli import cli_env
from testkit.fakes.bot_api import FakeBotApi
from testkit.ports import free_port
from testkit.worlds import invite, world  # noqa: F401 - the fixture
from tests.test_lease_takeover import no_quiet_hours_policy
from tests.test_run_e2e import TOKEN

SECRET = "graceful-stop-secret"
PATH = "/tg/hook"
SLOW_S = 1.5  # how long Telegram takes over the download and the sends in flight
ZHANG = 777


def webhook_poster(http: ClientSession, port: int):  # noqa: ANN201
    async def post(update: dict) -> int:
        async with http.post(f"http://127.0.0.1:{port}{PATH}", json=update,
                             headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
            return response.status
    return post


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # the many-worker set-up; one subprocess
async def test_sigterm_finishes_the_update_and_the_batch_in_flight_then_exits_0(world, tmp_path: Path) -> None:  # noqa: F811
    sessionmaker, _ = world
    api = FakeBotApi()
    port = free_port()
    env = cli_env(TEPAI_DATA_DIR=str(tmp_path / "data"), TEPAI_BOT_TOKEN=TOKEN, TEPAI_API_SERVER=await api.start(),
                  TEPAI_DATABASE_URL=str(sessionmaker.kw["bind"].url.render_as_string(hide_password=False)),
                  TEPAI_WEBHOOK_URL=f"https://bot.example.cn{PATH}", TEPAI_WEBHOOK_SECRET=SECRET,
                  TEPAI_POLICY=str(no_quiet_hours_policy(tmp_path / "policy.toml")))
    token = await invite(sessionmaker, SystemClock(), Role.COMMISSIONER, "C001")
    log = tmp_path / "tepai.log"
    with log.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "webhook", "--host", "127.0.0.1",
                                                    "--port", str(port), cwd=tmp_path, env=env,
                                                    stdout=asyncio.subprocess.DEVNULL, stderr=err)
    try:
        async with ClientSession(timeout=ClientTimeout(total=30)) as http:
            post = webhook_poster(http, port)

            async def listening() -> bool:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        return response.status == 200
                except OSError:
                    return proc.returncode is not None
            while not await listening():
                await asyncio.sleep(0.1)
            assert proc.returncode is None, log.read_text(errors="replace")[-3000:]

            async def deliver(update: dict) -> None:
                assert await post(update) == 200
            zhang = ApiPerson(api, deliver, ZHANG)
            await zhang.step(zhang.text(f"/start {token}"), "邀请已确认")
            await online_visit_until_upload(zhang)

            # Telegram turns slow; the sender picks up a message and the screenshot starts downloading.
            api.delay = {"sendMessage": SLOW_S, "file": SLOW_S}
            async with sessionmaker() as session, session.begin():
                user_id = (await session.execute(select(User.id).where(User.telegram_id == ZHANG))).scalar_one()
                await session.execute(insert(OutboxMessage).values(
                    key="stop:1", user_id=user_id, chat_id=ZHANG, text="停止前发出", documents=[], status="pending",
                    attempts=0, next_attempt_at=SystemClock().now(), created_at=SystemClock().now()))
            await wait_for(lambda: "停止前发出" in api.sent_texts())  # on its way: Telegram has not answered
            screenshot = zhang.screenshot()
            upload = asyncio.create_task(post(screenshot))
            await wait_for(lambda: ("file", {"file_id": "shot1"}) in api.calls)
            proc.send_signal(signal.SIGTERM)

            late = FakeBotApi.text_update(99000, 4343, "/help")  # after the signal: refused, unhandled
            while await post(late) != 503:  # (until the process has seen the signal)
                assert not upload.done(), "the upload finished before a post was refused"
                late = FakeBotApi.text_update(late["update_id"] + 1, 4343, "/help")
            # Draining: out of the load balancer's rotation, but alive.
            async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                assert (response.status, await response.text()) == (503, "stopping: finishing the work in flight\n")
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200
            assert await upload == 200
        assert await asyncio.wait_for(proc.wait(), 30) == 0, log.read_text(errors="replace")[-3000:]
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await api.stop()
    assert any("已收到 1 个" in text for text in api.sent_texts())  # the update's reply went out
    async with sessionmaker() as session:
        handled = set((await session.execute(select(ProcessedUpdate.update_id))).scalars())
        status = (await session.execute(select(OutboxMessage.status).where(OutboxMessage.key == "stop:1"))).scalar_one()
    assert screenshot["update_id"] in handled and late["update_id"] not in handled
    assert list((tmp_path / "data" / "evidence" / "originals").rglob("*.png"))
    assert status == "sent"
    assert not (await Lease(sessionmaker, SystemClock()).status()).live


async def test_sigterm_while_waiting_for_telegram_ends_at_once_and_quietly(tmp_path: Path) -> None:
    """Nothing was taken yet: the start-up is simply cancelled, exit 0, no traceback."""
    nobody = free_port()  # nothing listens there: the bot waits for the Bot API with backoff
    env = cli_env(TEPAI_DATA_DIR=str(tmp_path / "data"), TEPAI_BOT_TOKEN=TOKEN,
                  TEPAI_API_SERVER=f"http://127.0.0.1:{nobody}", TEPAI_LANGUAGE="en")
    log = tmp_path / "tepai.log"
    with log.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
                                                    stdout=asyncio.subprocess.DEVNULL, stderr=err)
    try:
        await wait_for(lambda: "127.0.0.1" in log.read_text(errors="replace") or proc.returncode is not None, 120)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 30) == 0, log.read_text(errors="replace")[-3000:]
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert "Traceback" not in log.read_text(errors="replace")


async def test_tepai_scheduler_stops_on_sigterm_and_releases_the_lease(tmp_path: Path, database_url: str) -> None:
    """In this process: the signal goes to the loop's handler that run_scheduler installed."""
    from bot.runner import run_scheduler
    from bot.settings import Settings
    from domain.policy import load_policy
    from locales import Translator
    from storage.db import create_engine, create_sessionmaker

    api = FakeBotApi()
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url=database_url, api_server=await api.start())
    engine = create_engine(database_url)
    lease = Lease(create_sessionmaker(engine), SystemClock())
    scheduler = asyncio.create_task(run_scheduler(settings, load_policy("yangquan"), TOKEN, Translator("en")))
    try:
        async def held() -> bool:
            try:
                return (await lease.status()).live
            except Exception:  # noqa: BLE001 - not migrated yet
                return False
        for _ in range(600):
            if await held() or scheduler.done():
                break
            await asyncio.sleep(0.05)
        assert await held(), scheduler
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(scheduler, 30)  # returns: no CancelledError, no exception
        assert not (await lease.status()).live  # released for another process to take at once
    finally:
        scheduler.cancel()
        await asyncio.gather(scheduler, return_exceptions=True)
        await engine.dispose()
        await api.stop()
