"""aiosqlite with one trip to its worker thread per statement, for SQLAlchemy's aiosqlite dialect.

aiosqlite runs every call on its connection's own thread, and SQLAlchemy makes four such calls
per statement: open a cursor, execute, fetch the rows, close the cursor. Each trip is a thread
hand-off and back (about a quarter of a millisecond on a small server), and they were half of the
time a step of the visit conversation took (`make bench`). Here a statement and the fetching of
its rows make one trip; opening and closing a cursor, which never wait on the database, run in
place. SQLite itself still runs on the worker thread only, so a transaction waiting on a lock
never blocks the event loop (see scheduler/runtime.py for why that matters).

Safe because SQLAlchemy serialises statements on a connection (its per-connection mutex), the
sqlite3 module is built serialised (`sqlite3.threadsafety == 3`), and the worker thread holds
the GIL whenever it touches Python objects.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiosqlite
from aiosqlite.context import contextmanager
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi


class OneTripCursor(aiosqlite.Cursor):
    """Executes and fetches in one trip; the rows are then served from memory."""

    _rows: list[Any] | None = None
    _next = 0

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> "OneTripCursor":
        self._rows, self._next = await self._execute(_execute_and_fetch, self._cursor, sql,
                                                     [] if parameters is None else parameters), 0
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> "OneTripCursor":
        self._rows = None  # nothing to fetch: no rows of an earlier statement may linger
        return await super().executemany(sql, parameters)

    def _take(self, count: int | None) -> list[Any]:
        rows = self._rows or []
        end = len(rows) if count is None else self._next + count
        taken, self._next = rows[self._next:end], min(end, len(rows))
        return taken

    async def fetchone(self) -> Any:
        if self._rows is None:
            return await super().fetchone()
        taken = self._take(1)
        return taken[0] if taken else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        if self._rows is None:
            return list(await super().fetchmany(size))
        return self._take(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        if self._rows is None:
            return list(await super().fetchall())
        return self._take(None)

    async def close(self) -> None:
        self._rows = None
        self._cursor.close()  # the statement is done and reset: nothing here waits on SQLite


def _execute_and_fetch(cursor: sqlite3.Cursor, sql: str, parameters: Iterable[Any]) -> list[Any] | None:
    cursor.execute(sql, parameters)
    return cursor.fetchall() if cursor.description is not None else None


class OneTripConnection(aiosqlite.Connection):
    @contextmanager
    async def cursor(self) -> OneTripCursor:
        return OneTripCursor(self, self._conn.cursor())


def connect(database: str | Path, *, iter_chunk_size: int = 64, **kwargs: Any) -> OneTripConnection:
    """As `aiosqlite.connect`, with the connection above."""
    location = str(database)
    return OneTripConnection(lambda: sqlite3.connect(location, **kwargs), iter_chunk_size)


def dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The DB-API module for `create_async_engine(..., module=dbapi())`: aiosqlite's, but with
    `connect` above."""
    module = SimpleNamespace(**{name: getattr(aiosqlite, name) for name in aiosqlite.__all__})
    module.connect, module.Connection = connect, OneTripConnection
    return AsyncAdapt_aiosqlite_dbapi(module, sqlite3)
