"""FSM storage in the database, update de-duplication, and SQLite connection settings."""
from __future__ import annotations

from datetime import timedelta

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import select

from storage.db import SQLITE_BUSY_TIMEOUT_MS, create_engine, create_sessionmaker
from storage.fsm import DatabaseStorage
from storage.models import FsmRecord, ProcessedUpdate
from storage.repositories import Repos

BOT_ID = 123456
KEY = StorageKey(bot_id=BOT_ID, chat_id=1001, user_id=1001)
OTHER_CHAT = StorageKey(bot_id=BOT_ID, chat_id=2002, user_id=2002)
OTHER_USER_SAME_CHAT = StorageKey(bot_id=BOT_ID, chat_id=1001, user_id=3003)


class Visit(StatesGroup):
    enterprise = State()
    summary = State()


@pytest.fixture
def storage(sessionmaker, clock) -> DatabaseStorage:  # noqa: ANN001
    return DatabaseStorage(sessionmaker, clock)


# --------------------------------------------------------------------------- DatabaseStorage


async def test_fsm_unknown_key_has_no_state_and_no_data(storage):
    assert await storage.get_state(KEY) is None
    assert await storage.get_data(KEY) == {}
    assert await storage.get_value(KEY, "missing", "default") == "default"


async def test_fsm_set_and_get_state(storage):
    await storage.set_state(KEY, Visit.enterprise)
    assert await storage.get_state(KEY) == Visit.enterprise.state == "Visit:enterprise"
    await storage.set_state(KEY, "Visit:summary")
    assert await storage.get_state(KEY) == "Visit:summary"
    await storage.set_state(KEY, None)
    assert await storage.get_state(KEY) is None


async def test_fsm_set_and_get_data(storage):
    data = {"enterprise": "E001", "summary": "指导耐火材料配方调整", "photos": ["a", "b"], "n": 3,
            "nested": {"lat": 37.86, "ok": True, "none": None}}
    await storage.set_data(KEY, data)
    assert await storage.get_data(KEY) == data
    await storage.set_data(KEY, {"only": 1})
    assert await storage.get_data(KEY) == {"only": 1}  # set_data replaces
    await storage.set_data(KEY, {})
    assert await storage.get_data(KEY) == {}


async def test_fsm_update_data_merges(storage):
    assert await storage.update_data(KEY, {"a": 1}) == {"a": 1}
    assert await storage.update_data(KEY, {"b": "二"}) == {"a": 1, "b": "二"}
    assert await storage.update_data(KEY, {"a": 3}) == {"a": 3, "b": "二"}
    assert await storage.get_data(KEY) == {"a": 3, "b": "二"}
    assert await storage.get_value(KEY, "b") == "二"


async def test_fsm_state_and_data_are_independent(storage):
    await storage.set_state(KEY, Visit.summary)
    await storage.set_data(KEY, {"draft": "x"})
    assert await storage.get_state(KEY) == "Visit:summary"  # writing data kept the state
    await storage.set_state(KEY, None)
    assert await storage.get_data(KEY) == {"draft": "x"}  # clearing the state kept the data


async def test_fsm_keys_are_isolated(storage):
    await storage.set_state(KEY, Visit.enterprise)
    await storage.set_data(KEY, {"mine": True})
    # Note: the bot id is not part of the key (aiogram's DefaultKeyBuilder has with_bot_id=False).
    for other in (OTHER_CHAT, OTHER_USER_SAME_CHAT):
        assert await storage.get_state(other) is None
        assert await storage.get_data(other) == {}


async def test_fsm_set_data_refuses_non_dicts(storage):
    with pytest.raises(ValueError):
        await storage.set_data(KEY, [("a", 1)])  # type: ignore[arg-type]


async def test_fsm_records_updated_at_from_the_clock(storage, sessionmaker, clock):  # noqa: ANN001
    await storage.set_state(KEY, Visit.enterprise)
    clock.advance(timedelta(minutes=5))
    await storage.set_data(KEY, {"a": 1})
    async with sessionmaker() as session:
        [record] = (await session.scalars(select(FsmRecord))).all()
    assert record.updated_at.replace(tzinfo=None) == clock.now().replace(tzinfo=None)


async def test_fsm_survives_a_restart_on_the_same_sessionmaker(storage, sessionmaker, clock):  # noqa: ANN001
    await storage.set_state(KEY, Visit.summary)
    await storage.set_data(KEY, {"enterprise": "E001", "photos": ["f1"]})
    await storage.close()

    restarted = DatabaseStorage(sessionmaker, clock)
    assert await restarted.get_state(KEY) == "Visit:summary"
    assert await restarted.get_data(KEY) == {"enterprise": "E001", "photos": ["f1"]}


async def test_fsm_survives_a_restart_with_a_new_engine(storage, database_url, clock):  # noqa: ANN001
    await storage.set_state(KEY, Visit.enterprise)
    await storage.update_data(KEY, {"enterprise": "E002"})

    engine = create_engine(database_url)  # a new process would open its own engine
    try:
        restarted = DatabaseStorage(create_sessionmaker(engine), clock)
        assert await restarted.get_state(KEY) == "Visit:enterprise"
        assert await restarted.get_data(KEY) == {"enterprise": "E002"}
        await restarted.update_data(KEY, {"summary": "ok"})
    finally:
        await engine.dispose()
    assert await storage.get_data(KEY) == {"enterprise": "E002", "summary": "ok"}


# --------------------------------------------------------------------------- UpdateRepo


async def test_update_claim_is_true_once_per_bot_and_update(repos: Repos, clock):  # noqa: ANN001
    now = clock.now()
    assert await repos.updates.claim(BOT_ID, 500, now) is True
    assert await repos.updates.claim(BOT_ID, 500, now) is False
    assert await repos.updates.claim(654321, 500, now) is True  # another bot, same update id
    assert await repos.updates.claim(BOT_ID, 501, now) is True
    await repos.commit()
    assert await repos.updates.claim(BOT_ID, 500, now) is False  # still known after commit
    assert await repos.people.count(ProcessedUpdate) == 3


async def test_update_claim_across_sessions(sessionmaker, clock):  # noqa: ANN001
    async with sessionmaker() as session:
        assert await Repos(session).updates.claim(BOT_ID, 42, clock.now()) is True
        await session.commit()
    async with sessionmaker() as session:
        assert await Repos(session).updates.claim(BOT_ID, 42, clock.now()) is False


async def test_update_forget_before(repos: Repos, clock):  # noqa: ANN001
    old = clock.now() - timedelta(days=3)
    await repos.updates.claim(BOT_ID, 1, old)
    await repos.updates.claim(BOT_ID, 2, clock.now())
    assert await repos.updates.forget_before(clock.now() - timedelta(days=1)) == 1
    assert await repos.updates.claim(BOT_ID, 1, clock.now()) is True
    assert await repos.updates.claim(BOT_ID, 2, clock.now()) is False


# --------------------------------------------------------------------------- SQLite connection settings


async def _pragma(engine, name: str):  # noqa: ANN001, ANN202
    async with engine.connect() as conn:
        return (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(engine):  # noqa: ANN001
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    assert str(await _pragma(engine, "journal_mode")).lower() == "wal"
    assert await _pragma(engine, "busy_timeout") == SQLITE_BUSY_TIMEOUT_MS
    assert SQLITE_BUSY_TIMEOUT_MS >= 1000
    assert await _pragma(engine, "foreign_keys") == 1


async def test_sqlite_settings_hold_on_every_pooled_connection(engine):  # noqa: ANN001
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    async with engine.connect() as first, engine.connect() as second:
        for conn in (first, second):
            assert str((await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()).lower() == "wal"
            assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS


def test_the_job_stores_blocking_sqlite_engine_waits_like_ours(tmp_path) -> None:  # noqa: ANN001
    """APScheduler's job store once failed with "database is locked" at start-up: it had no busy timeout."""
    from sqlalchemy import text

    from storage.db import SQLITE_BUSY_TIMEOUT_MS, create_sync_engine

    engine = create_sync_engine(f"sqlite:///{tmp_path / 'jobs.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()
