"""Two real `tepai webhook` workers on one PostgreSQL (`--no-set-webhook`, the Bot API answered by
the local stand-in), once with the PostgreSQL advisory lock and once with Redis: one person's two
taps of "confirm" posted to both at the same moment store one visit and get consistent answers,
and that person's backlog posted across both is answered in update_id order."""
from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram.fsm.storage.redis import RedisStorage
from aiohttp import ClientSession, web
from redis.asyncio import Redis
from sqlalchemy import func, select

from bot.coordination import REDIS_KEYS
from domain.clock import FrozenClock
from domain.roles import Role
from storage.db import sqlite_url
from storage.fsm_after_commit import AfterCommitStorage
from storage.models import Visit
from testkit import images
from testkit.botkit import Harness, Person
from testkit.fakes.bot_api import FakeBotApi, call_in_response
from testkit.ports import free_ports
from testkit.visitflow import Walk, to_card
from testkit.webhook_workers import WebhookWorkers, WorkersNotReady
from testkit.worlds import NEAR_E001, invite, world  # noqa: F401 - the fixture

SECRET = "workers-secret"
PATH = "/tg/hook"
START_TIMEOUT_S = 120  # two processes importing everything on a loaded machine
PORTS = range(21400, 21500)


@pytest.fixture
def clock() -> FrozenClock:
    """Now: the workers run on the real clock, and the draft is made here for today."""
    return FrozenClock(datetime.now(timezone.utc))


async def test_a_port_another_run_took_is_not_taken_for_a_worker(tmp_path) -> None:
    """Engineers run this file side by side: when another run's server answers /healthz on the port
    chosen for a worker (here one that cannot start: no Bot API), the launcher waits for its own
    worker and gives up, rather than post this run's updates to the other run's database."""
    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    other = web.Application()
    other.router.add_get("/healthz", healthz)
    runner = web.AppRunner(other)
    await runner.setup()
    [port] = free_ports(PORTS, 1)
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        workers = WebhookWorkers([port], database_url=sqlite_url(tmp_path / "tepai.db"),
                                 api="http://127.0.0.1:9", path=PATH, secret=SECRET, folder=tmp_path, ready_within_s=2)
        with pytest.raises(WorkersNotReady, match="did not answer"):
            await workers.start()
        assert all(p.returncode is not None for p in workers.processes)
    finally:
        await runner.cleanup()


async def _post(http: ClientSession, port: int, update: dict, after: float = 0) -> int:
    return (await _posted(http, port, update, after))[0]


async def _posted(http: ClientSession, port: int, update: dict, after: float = 0) -> tuple[int, Any]:
    """The response's status and the Bot API call it carries (a tap's answer), if any."""
    await asyncio.sleep(after)
    async with http.post(f"http://127.0.0.1:{port}{PATH}", json=update,
                         headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
        return response.status, await call_in_response(response)


def _to(api: FakeBotApi, person: Person, method: str) -> list[dict]:
    return [p for m, p in api.calls if m == method and str(p.get("chat_id")) == str(person.id)]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.parametrize("shared", ["advisory lock", "redis"])
async def test_two_workers_serve_one_person_once_and_in_order(shared, engine, world, policy, clock, tmp_path,  # noqa: F811
                                                              request) -> None:  # noqa: ANN001
    redis_url = request.getfixturevalue("redis_url") if shared == "redis" else None
    redis = Redis.from_url(redis_url) if redis_url else None
    storage = AfterCommitStorage(RedisStorage(redis, key_builder=REDIS_KEYS)) if redis else None
    # Unique people: the test Redis is shared by every run on the machine.
    zhang = Person(secrets.randbelow(10**9) + 10**9, "伟", "张")
    wang = Person(zhang.id + 1, "芳", "王")
    sessionmaker, evidence = world
    harness = Harness.build(sessionmaker=sessionmaker, policy=policy, clock=clock, zone=ZoneInfo("Asia/Shanghai"),
                            evidence_store=evidence, **({"storage": storage} if storage else {}))
    await harness.send(zhang, f"/start {await invite(sessionmaker, clock, Role.COMMISSIONER, 'C001')}")
    walk = Walk(harness, zhang)
    await to_card(walk, "阳泉华鑫耐火材料有限公司", images.jpeg(80), NEAR_E001)
    tap = walk.tap("✅ 确认提交").model_dump(mode="json", exclude_none=True)
    wang_token = await invite(sessionmaker, clock, Role.COMMISSIONER, "C002")

    api = FakeBotApi()
    # The workers share the world's evidence folder (tmp_path/evidence): the draft's photo is there.
    workers = WebhookWorkers(free_ports(PORTS, 2), database_url=engine.url.render_as_string(hide_password=False),
                             api=await api.start(), path=PATH, secret=SECRET, folder=tmp_path, data_dir=tmp_path,
                             env={"TEPAI_REDIS_URL": redis_url} if redis_url else {}, ready_within_s=START_TIMEOUT_S)
    ports = workers.ports
    try:
        await workers.start()
        async with ClientSession() as http:
            # Two taps of one button, one to each worker at the same moment.
            posted = await asyncio.gather(*(_posted(http, port, {**tap, "update_id": 900 + i})
                                            for i, port in enumerate(ports)))
            assert [status for status, _ in posted] == [200, 200]
            async with sessionmaker() as session:
                assert await session.scalar(select(func.count()).select_from(Visit)) == 1
            saved = [p["text"] for p in _to(api, zhang, "sendMessage") if "已记录" in p["text"]]
            assert len(saved) == 1, api.calls
            # Each tap's answer rides in its own 200 response (bot/webhook.py), not in a request.
            assert not [m for m, _ in api.calls if m == "answerCallbackQuery"]
            alerts = [p.get("text") for _, (m, p) in posted]
            assert sorted(alerts) == ["已保存", "这条服务记录已经提交过了，无需重复提交。"], posted
            assert not any("没能处理成功" in p["text"] for p in _to(api, zhang, "sendMessage"))

            # A backlog Telegram posts across both workers, in update_id order and all at once.
            backlog = [f"/start {wang_token}", "/me", "/visits", "/help"]
            statuses = await asyncio.gather(*(
                _post(http, ports[i % 2], FakeBotApi.text_update(1000 + i, wang.id, text, wang.first_name), i * 0.02)
                for i, text in enumerate(backlog)))
            assert statuses == [200] * 4
        replies = [p["text"] for p in _to(api, wang, "sendMessage")]
        assert len(replies) == 4, replies
        assert "邀请已确认" in replies[0], replies
        assert "C002" in replies[1], replies
        assert "尚未绑定" not in replies[2] and "仅限" not in replies[2], replies
        assert "/visit" in replies[3], replies
    finally:
        await workers.stop()
        await api.stop()
        if storage is not None:
            for person in (zhang, wang):
                key = harness.state_key(person)
                await storage.set_state(key, None)
                await storage.set_data(key, {})
            await redis.aclose()
