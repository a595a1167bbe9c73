"""One person's lock across processes (storage/user_locks.py), each side with its own engine or
Redis client as two workers would have: exclusive, and in ticket (update_id) order among waiters;
conversation state in Redis written only after the commit."""
from __future__ import annotations

import asyncio
import secrets

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio import Redis
from sqlalchemy import text

from bot.coordination import REDIS_KEYS
from storage.fsm import bind_update_session, current_scope, unbind_update_session
from storage.fsm_after_commit import AfterCommitStorage
from storage.user_locks import AdvisoryUserLocks, RedisUserLocks, advisory_key
from testkit.ports import free_port


def _person() -> StorageKey:
    uid = secrets.randbelow(10**9) + 10**9  # the test Redis is shared: keys of this test's own
    return StorageKey(bot_id=42, chat_id=uid, user_id=uid)


@pytest.fixture(params=["advisory", "redis"])
async def two_workers(request, database_url):  # noqa: ANN001 - the lock sides of two processes
    if request.param == "advisory":
        if database_url.startswith("sqlite"):
            pytest.skip("SQLite is one process: no cross-process lock")
        sides = [AdvisoryUserLocks.from_url(database_url, wait_s=5) for _ in range(2)]
    else:
        if not database_url.startswith("sqlite"):
            pytest.skip("Redis does not depend on the database: run once")
        url = request.getfixturevalue("redis_url")
        sides = [RedisUserLocks(Redis.from_url(url), keys=REDIS_KEYS, wait_s=5) for _ in range(2)]
    yield sides
    for side in sides:
        await side.close()


async def test_one_holder_at_a_time_and_waiters_go_in_update_order(two_workers) -> None:
    a, b = two_workers
    person = _person()
    order: list[int] = []
    inside = 0
    first_holds = asyncio.Event()

    async def update(side, update_id: int, start_after: float) -> None:  # noqa: ANN001
        nonlocal inside
        if update_id != 10:
            await first_holds.wait()
        await asyncio.sleep(start_after)
        async with side.hold(person, update_id):
            inside += 1
            assert inside == 1, "two of one person's updates at once"
            order.append(update_id)
            first_holds.set()
            # The first holds on until every waiter has shown its ticket, however long a busy
            # machine takes to open their connections: the order among waiters is what is tested.
            await asyncio.sleep(1.0 if update_id == 10 else 0.05)
            inside -= 1

    # 10 holds the lock; 13 and 12 reach it in that order on the other worker, 11 last on this one.
    await asyncio.wait_for(asyncio.gather(update(a, 10, 0), update(b, 13, 0), update(b, 12, 0.05),
                                          update(a, 11, 0.1)), 30)
    assert order == [10, 11, 12, 13]


async def test_advisory_lock_survives_connections_the_server_dropped(database_url, engine) -> None:  # noqa: ANN001
    """The lock pool does not ping before lending: a pooled connection the server dropped (a
    database restart) fails the take once, and the take goes on with a fresh connection."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite is one process: no cross-process lock")
    locks = AdvisoryUserLocks.from_url(database_url, wait_s=5)
    person = _person()
    try:
        async with locks.hold(person, 1):
            pass  # a connection is now in the pool
        async with engine.connect() as admin:
            await admin.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                     " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                                     " AND backend_type = 'client backend'"))
        async with locks.hold(person, 2):
            async with engine.connect() as admin:  # held for real: another side cannot take it
                taken = (await admin.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                             {"k": advisory_key(person)})).scalar_one()
                assert taken is False
    finally:
        await locks.close()


async def test_an_update_failing_after_its_redis_lock_expired_still_fails(redis_url) -> None:  # noqa: ANN001
    """The lock's expiry, found on release, must not hide the update's own failure: in webhook
    mode that failure is a 500 for Telegram to deliver the update again (found in review)."""
    locks = RedisUserLocks(Redis.from_url(redis_url), keys=REDIS_KEYS, wait_s=5, expire_s=0.2)
    try:
        with pytest.raises(ValueError, match="the update failed"):
            async with locks.hold(_person(), 7):
                await asyncio.sleep(0.4)
                raise ValueError("the update failed")
        async with locks.hold(_person(), 8):  # one that succeeds past its expiry just logs
            await asyncio.sleep(0.4)
    finally:
        await locks.close()


async def test_redis_state_is_written_after_the_commit_only(redis_url, sessionmaker) -> None:  # noqa: ANN001
    redis = Redis.from_url(redis_url)
    storage = AfterCommitStorage(RedisStorage(redis, key_builder=REDIS_KEYS))
    person = _person()
    try:
        await storage.set_state(person, "draft:photos")  # outside an update: at once
        async with sessionmaker() as session:
            token = bind_update_session(session)
            try:
                await storage.set_state(person, "draft:confirm")
                await storage.set_data(person, {"n": 1})
                assert await storage.get_state(person) == "draft:confirm"  # the update sees its own change
                assert await RedisStorage(redis, key_builder=REDIS_KEYS).get_state(person) == "draft:photos"
                # the transaction fails here: nothing was written, the retry starts from draft:photos
            finally:
                unbind_update_session(token)
        assert await storage.get_state(person) == "draft:photos"
        async with sessionmaker() as session:
            token = bind_update_session(session)
            try:
                await storage.set_state(person, "draft:confirm")
                await storage.set_data(person, {"n": 1})
                await session.commit()
                await current_scope().committed()
            finally:
                unbind_update_session(token)
        assert await storage.get_state(person) == "draft:confirm"
        assert await storage.get_data(person) == {"n": 1}
    finally:
        await storage.set_state(person, None)
        await storage.set_data(person, {})
        await redis.aclose()


async def test_coordination_unreachable_redis_is_one_line(tmp_path) -> None:  # noqa: ANN001
    from bot.coordination import coordination
    from bot.settings import Settings
    from storage.db import DatabaseUnreachable

    nobody = free_port()  # nothing listens there
    settings = Settings(_env_file=None, data_dir=tmp_path, redis_url=f"redis://:pw@127.0.0.1:{nobody}/0")
    with pytest.raises(DatabaseUnreachable) as caught:
        async with coordination(settings, workers=True):
            pass
    assert caught.value.setting == "TEPAI_REDIS_URL" and "pw" not in caught.value.url

