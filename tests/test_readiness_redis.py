"""With TEPAI_REDIS_URL, /readyz asks Redis too, wherever it is served: on `tepai webhook`'s
listener and on `tepai run --metrics-port`. A Redis of the test's own goes away under the running
process: /readyz answers 503 naming it, /healthz still 200. SQLite: the listeners are the point."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp import ClientSession

from bot.runner import run_polling
from bot.settings import Settings
from bot.webhook import run_webhook
from domain.policy import load_policy
from locales import Translator
from testkit.botkit import BOT_TOKEN
from testkit.fakes.bot_api import FakeBotApi
from testkit.ports import free_ports
from testkit.redis_server import INSTALLED, private_redis

pytestmark = pytest.mark.skipif(not INSTALLED, reason="redis-server is not installed")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("mode", ["run", "webhook"])
async def test_readyz_names_redis_when_it_goes_away(tmp_path, database_url, mode) -> None:  # noqa: ANN001
    api = FakeBotApi()
    redis_port, port = free_ports(range(22000, 22100), 2)  # this work's range
    async with private_redis(redis_port) as redis:
        settings = Settings(_env_file=None, data_dir=tmp_path, database_url=database_url, api_server=await api.start(),
                            redis_url=redis.url, metrics_port=port, webhook_url="https://bot.example.cn/hook",
                            webhook_secret="readiness-secret")
        t = Translator("en")
        serving = asyncio.create_task(
            run_polling(settings, load_policy("yangquan"), BOT_TOKEN, t) if mode == "run" else
            run_webhook(settings, load_policy("yangquan"), BOT_TOKEN, t, host="127.0.0.1", port=port,
                        set_webhook=False))
        try:
            async with ClientSession() as http:
                async def get(path: str) -> tuple[int, str]:
                    async with http.get(f"http://127.0.0.1:{port}{path}") as response:
                        return response.status, await response.text()

                for _ in range(600):  # until it listens
                    assert not serving.done(), serving.exception()
                    try:
                        if await get("/readyz") == (200, "ready\n"):
                            break
                    except OSError:
                        pass
                    await asyncio.sleep(0.05)
                else:
                    pytest.fail("never ready")
                await redis.stop()
                status, why = await get("/readyz")
                assert status == 503 and why.startswith(f"Redis redis://127.0.0.1:{redis_port}/0: "), why
                assert await get("/healthz") == (200, "ok\n")
        finally:
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)
            await api.stop()
