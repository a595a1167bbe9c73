"""storage/sqlite_driver.py: aiosqlite with one worker-thread trip per statement, under SQLAlchemy."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text

from storage import sqlite_driver
from storage.db import create_engine

METADATA = MetaData()
ITEMS = Table("items", METADATA, Column("id", Integer, primary_key=True), Column("name", String))


@pytest.fixture
async def engine(tmp_path):  # noqa: ANN001, ANN201
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch):  # noqa: ANN001, ANN201
    """Counts the calls queued to the connections' worker threads."""
    counted: list[str] = []
    original = sqlite_driver.OneTripConnection._execute

    async def counting(self, fn, *args, **kwargs):  # noqa: ANN001, ANN202
        counted.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(sqlite_driver.OneTripConnection, "_execute", counting)
    return counted


async def test_a_select_is_one_trip_to_the_worker_thread(engine, trips) -> None:  # noqa: ANN001
    async with engine.connect() as conn:
        await conn.execute(select(1))  # the connection is made and set up
        trips.clear()
        assert (await conn.execute(select(ITEMS))).all() == []
        assert trips == ["_execute_and_fetch"]


async def test_rows_inserts_returning_and_rowcounts_are_as_with_plain_aiosqlite(engine) -> None:  # noqa: ANN001
    async with engine.begin() as conn:
        result = await conn.execute(insert(ITEMS).returning(ITEMS.c.id), [{"name": "甲"}])
        assert result.scalar_one() == 1
        await conn.execute(insert(ITEMS), [{"name": n} for n in ("乙", "丙", "丁")])
        assert (await conn.execute(text("UPDATE items SET name = name || '!' WHERE id > 2"))).rowcount == 2
    async with engine.connect() as conn:
        rows = (await conn.execute(select(ITEMS.c.name).order_by(ITEMS.c.id))).scalars().all()
        assert rows == ["甲", "乙", "丙!", "丁!"]
        partial = await conn.execute(select(ITEMS.c.id).order_by(ITEMS.c.id))
        assert partial.fetchone() == (1,)
        assert partial.fetchmany(2) == [(2,), (3,)]
        assert partial.fetchall() == [(4,)]


async def test_a_streamed_result_is_read_in_chunks_to_the_end(engine) -> None:  # noqa: ANN001
    async with engine.begin() as conn:
        await conn.execute(insert(ITEMS), [{"name": f"n{i}"} for i in range(250)])
    async with engine.connect() as conn:
        streamed = await conn.stream(select(ITEMS.c.id).order_by(ITEMS.c.id))
        ids = [row.id async for row in streamed]
    assert ids == list(range(1, 251))


async def test_a_failed_statement_raises_and_leaves_the_transaction_usable(engine) -> None:  # noqa: ANN001
    from sqlalchemy.exc import IntegrityError

    async with engine.begin() as conn:
        await conn.execute(insert(ITEMS), [{"id": 1, "name": "a"}])
    async with engine.connect() as conn:
        with pytest.raises(IntegrityError):
            await conn.execute(insert(ITEMS), [{"id": 1, "name": "again"}])
        await conn.rollback()
        assert (await conn.execute(select(ITEMS.c.name))).scalars().all() == ["a"]


async def test_a_writer_waiting_on_the_lock_does_not_block_the_event_loop(engine) -> None:  # noqa: ANN001
    """SQLite still runs on the worker thread: while one connection waits for another's write
    lock, the loop goes on, so the holder can finish and let it through."""
    async with engine.connect() as holder, engine.connect() as waiter:
        await holder.execute(text("BEGIN IMMEDIATE"))
        await holder.execute(insert(ITEMS), [{"name": "first"}])
        waiting = asyncio.create_task(waiter.execute(insert(ITEMS), [{"name": "second"}]))
        ticks = 0
        for _ in range(5):
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks == 5 and not waiting.done()
        await holder.commit()
        await asyncio.wait_for(waiting, 5)
        await waiter.commit()
    async with engine.connect() as conn:
        assert (await conn.execute(select(ITEMS.c.name).order_by(ITEMS.c.id))).scalars().all() == ["first", "second"]
