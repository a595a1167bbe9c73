"""PostgreSQL stopped and started under a running webhook listener (a real server of the test's
own: tests/test_db_outage.py cuts a proxy instead). While it is down `/readyz` answers 503 naming
the database and an update answers 500, so Telegram sends it again; once it is back the process
is ready again by itself, and the update sent again is handled as if nothing had happened."""
from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.health import Health, Metrics, UpdateMetricsMiddleware, add_health_routes
from bot.middlewares import Retry
from bot.webhook import webhook_app
from domain.clock import SystemClock
from locales import Translator
from storage.db import create_engine, create_sessionmaker
from storage.evidence_store import EvidenceStore
from storage.models import ProcessedUpdate
from testkit.botkit import Harness, texts
from testkit.databases import migrate_url
from testkit.fakes.bot_api import FakeBotApi
from testkit.pg_cluster import BIN, PrivateCluster
from testkit.ports import free_port

SECRET = "db-restart-secret"
PATH = "/hook"

pytestmark = pytest.mark.skipif(BIN is None, reason="PostgreSQL's server programs (initdb, pg_ctl) are not installed")


@pytest.fixture
async def cluster():  # noqa: ANN201
    made = PrivateCluster(free_port(21550, 21599))
    await asyncio.to_thread(made.create)
    try:
        await asyncio.to_thread(made.start)
        await migrate_url(made.url)
        yield made
    finally:
        await asyncio.to_thread(made.destroy)


async def test_postgres_restarted_under_a_running_webhook(cluster, policy, tmp_path) -> None:  # noqa: ANN001
    engine = create_engine(cluster.url)
    sessionmaker = create_sessionmaker(engine)
    store = EvidenceStore(tmp_path / "evidence")
    metrics = Metrics()
    # As `tepai webhook` builds it: an update failing on a lost database is handed back (500), not
    # recorded and apologised for; short retries for the test.
    harness = Harness.build(sessionmaker=sessionmaker, policy=policy, clock=SystemClock(),
                            zone=ZoneInfo("Asia/Shanghai"), evidence_store=store, redelivered=True,
                            retry=Retry(attempts=2, first_pause_s=0.1), update_metrics=UpdateMetricsMiddleware(metrics))
    app = webhook_app(harness.dp, harness.bot, path=PATH, secret=SECRET)
    add_health_routes(app, Health(metrics, sessionmaker, SystemClock(), store))

    async def post(update: dict) -> int:
        async with client.post(PATH, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
            return response.status

    async def ready() -> tuple[int, str]:
        async with client.get("/readyz") as response:
            return response.status, await response.text()

    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        assert await post(FakeBotApi.text_update(1, 5001, "/help")) == 200
        assert (await ready())[0] == 200

        await asyncio.to_thread(cluster.stop)  # the pool's connections die with the server
        status, why = await ready()
        assert status == 503 and "database" in why
        said = len(harness.session.requests)
        assert await post(FakeBotApi.text_update(2, 5002, "/help")) == 500  # Telegram will send it again
        assert texts(harness.session.requests[said:]) == []  # no apology: the answer comes with the retry

        await asyncio.to_thread(cluster.start)
        for _ in range(100):  # ready again by itself, without a restart of the process
            if (await ready())[0] == 200:
                break
            await asyncio.sleep(0.1)
        assert (await ready())[0] == 200
        assert await post(FakeBotApi.text_update(2, 5002, "/help")) == 200  # Telegram's retry
        answer = texts(harness.session.requests[said:])
        assert len(answer) == 1 and "/" in answer[0] and answer[0] != Translator("zh")("fallback.not_handled")
        async with sessionmaker() as session:
            assert set((await session.execute(select(ProcessedUpdate.update_id))).scalars()) == {1, 2}
    finally:
        await client.close()
        await engine.dispose()
