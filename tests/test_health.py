"""/healthz, /readyz and /metrics on the webhook listener, on SQLite and PostgreSQL: /readyz
names the database, the evidence store or Redis when unreachable, and says "stopping" while the
process drains (tests/test_graceful_stop.py sees it in a real `tepai webhook`)."""
from __future__ import annotations

import asyncio
import threading
import time

from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from bot.health import BotApiMetrics, Health, Metrics, UpdateMetricsMiddleware, add_health_routes
from bot.webhook import webhook_app
from scheduler.lease import Lease
from storage.blobs import DirectoryBlobs, S3Blobs
from storage.db import create_engine, create_sessionmaker
from storage.evidence_store import EvidenceStore
from testkit.botkit import Harness
from testkit.fakes.bot_api import FakeBotApi
from testkit.ports import free_port
from testkit.worlds import world  # noqa: F401 - the fixture

SECRET = "metrics-secret"


def _client(world, policy, clock, tmp_path, evidence=None, lease=None, health_db=None,  # noqa: ANN001, ANN202, F811
            **health):  # noqa: ANN003
    """`evidence(metrics)`: the evidence store /readyz checks (default: the world's); `health`:
    more of Health's fields (redis, stopping)."""
    from zoneinfo import ZoneInfo

    metrics = Metrics()
    sessionmaker, store = world
    harness = Harness.build(sessionmaker=sessionmaker, policy=policy, clock=clock, zone=ZoneInfo("Asia/Shanghai"),
                            evidence_store=store, update_metrics=UpdateMetricsMiddleware(metrics))
    harness.bot.session.middleware(BotApiMetrics(metrics))
    app = webhook_app(harness.dp, harness.bot, path="/hook", secret=SECRET)
    add_health_routes(app, Health(metrics, health_db or sessionmaker, clock, evidence(metrics) if evidence else store,
                                  lease, **health))
    return TestClient(TestServer(app))


async def test_healthz_and_readyz_answer(world, policy, clock, tmp_path) -> None:  # noqa: F811
    async with _client(world, policy, clock, tmp_path) as client:
        assert (await client.get("/healthz")).status == 200
        assert (await client.get("/readyz")).status == 200


async def test_readyz_is_503_when_the_evidence_folder_cannot_be_written(world, policy, clock, tmp_path) -> None:  # noqa: F811
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    folder = blocker / "evidence"
    async with _client(world, policy, clock, tmp_path,
                       evidence=lambda m: EvidenceStore(folder, on_error=m.evidence_error)) as client:
        response = await client.get("/readyz")
        assert response.status == 503
        assert f"evidence store {folder}" in await response.text()
        body = await (await client.get("/metrics")).text()
    assert 'tepai_evidence_store_errors_total{operation="write"} 1.0' in body


async def test_readyz_checks_a_bucket_and_names_it_when_it_is_missing(world, policy, clock, tmp_path,  # noqa: F811
                                                                      moto_s3) -> None:
    there = S3Blobs(moto_s3.new_bucket(), "evidence", moto_s3.access)
    async with _client(world, policy, clock, tmp_path, evidence=lambda m: EvidenceStore(there)) as client:
        assert (await client.get("/readyz")).status == 200
    missing = S3Blobs("no-such-bucket", "evidence", moto_s3.access)
    async with _client(world, policy, clock, tmp_path,
                       evidence=lambda m: EvidenceStore(missing, on_error=m.evidence_error)) as client:
        response = await client.get("/readyz")
        assert response.status == 503
        assert "evidence store s3://no-such-bucket/evidence" in await response.text()


class HangingBlobs(DirectoryBlobs):
    """A store whose writes hang until `answer` is set (a bucket that stopped answering)."""

    def __init__(self, root) -> None:  # noqa: ANN001
        super().__init__(root)
        self.answer = threading.Event()
        self.writes = 0

    def put(self, key: str, data: bytes, replace: bool = False) -> None:
        self.writes += 1
        self.answer.wait(timeout=5)  # never longer than that, whatever the test does
        super().put(key, data, replace)


async def test_readyz_leaves_one_check_hanging_on_a_store_that_hangs(world, policy, clock, tmp_path) -> None:  # noqa: F811
    """The check's thread cannot be stopped: a hanging store keeps it past the timeout, and the
    probes after it say so at once instead of each starting (and leaving) one more."""
    hanging = HangingBlobs(tmp_path / "hanging")
    async with _client(world, policy, clock, tmp_path, evidence=lambda m: EvidenceStore(hanging),
                       evidence_timeout_s=0.2) as client:
        try:
            started = time.monotonic()
            answers = await asyncio.gather(*(client.get("/readyz") for _ in range(3)))  # one check for the three
            answers += [await client.get("/readyz") for _ in range(3)]  # past its time: not ready at once
            took = time.monotonic() - started
            assert [a.status for a in answers] == [503] * 6
            assert f"evidence store {hanging.where}: no answer in 0.2 s" in await answers[-1].text()
            assert hanging.writes == 1 and took < 1.5
        finally:
            hanging.answer.set()
        for _ in range(50):  # the store answers again: the next probe checks it anew
            if (response := await client.get("/readyz")).status == 200:
                break
            await asyncio.sleep(0.02)
        assert response.status == 200 and hanging.writes == 2


async def test_readyz_is_503_when_the_database_is_gone(world, policy, clock, tmp_path) -> None:  # noqa: F811
    gone = create_engine("postgresql+asyncpg://tepai:tepai@127.0.0.1:1/gone")  # nothing listens on port 1
    async with _client(world, policy, clock, tmp_path, health_db=create_sessionmaker(gone)) as client:
        response = await client.get("/readyz")
        assert response.status == 503
        assert "database" in await response.text()
        assert (await client.get("/healthz")).status == 200  # the process itself still answers
    await gone.dispose()


async def test_readyz_pings_redis_and_names_it_when_nothing_answers(world, policy, clock, tmp_path,  # noqa: F811
                                                                   redis_url) -> None:
    shared = Redis.from_url(redis_url)
    nobody = free_port(22000, 22099)  # this work's range; nothing listens there
    gone = Redis.from_url(f"redis://:a-password@127.0.0.1:{nobody}/3")
    try:
        async with _client(world, policy, clock, tmp_path, redis=shared) as client:
            assert await (await client.get("/readyz")).text() == "ready\n"
        async with _client(world, policy, clock, tmp_path, redis=gone, redis_timeout_s=1) as client:
            response = await client.get("/readyz")
            assert response.status == 503
            why = await response.text()
            assert why.startswith(f"Redis redis://127.0.0.1:{nobody}/3: ") and "a-password" not in why
            assert (await client.get("/healthz")).status == 200
    finally:
        await shared.aclose()
        await gone.aclose()


async def test_readyz_says_stopping_while_healthz_still_answers(world, policy, clock, tmp_path) -> None:  # noqa: F811
    stopping = asyncio.Event()
    async with _client(world, policy, clock, tmp_path, stopping=stopping) as client:
        assert (await client.get("/readyz")).status == 200
        stopping.set()  # SIGTERM (bot/shutdown.py)
        response = await client.get("/readyz")
        assert response.status == 503 and (await response.text()).startswith("stopping")
        assert (await client.get("/healthz")).status == 200


async def test_metrics_count_updates_sends_and_the_lease(world, policy, clock, tmp_path) -> None:  # noqa: F811
    lease = Lease(world[0], clock)
    assert await lease.take()
    async with _client(world, policy, clock, tmp_path, lease=lease) as client:
        async with client.post("/hook", json=FakeBotApi.text_update(9, 4242, "/help"),
                               headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
            assert response.status == 200
        body = await (await client.get("/metrics")).text()
    assert 'tepai_updates_handled_total{outcome="ok",type="message"} 1.0' in body
    assert 'tepai_update_handler_seconds_count{type="message"} 1.0' in body
    assert "tepai_messages_sent_total 1.0" in body
    assert "tepai_telegram_429_total 0.0" in body and "tepai_telegram_403_total 0.0" in body
    assert "tepai_outbox_pending 0.0" in body and "tepai_outbox_oldest_pending_seconds 0.0" in body
    assert "tepai_scheduler_lease_held 1.0" in body
