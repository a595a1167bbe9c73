"""Engine and session factory. SQLite gets WAL, a busy timeout and foreign keys on every connection,
through aiosqlite with one thread trip per statement (storage/sqlite_driver.py).

No engine writes statement parameters (names, Telegram ids, phone numbers) into its error messages
or logs: `hide_parameters=True` everywhere."""
from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
from pathlib import Path

from sqlalchemy import Engine, event, text
from sqlalchemy import create_engine as create_blocking_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage import sqlite_driver
from storage.running_counts import CountingSession

SQLITE_BUSY_TIMEOUT_MS = 10_000
# How long a PostgreSQL statement waits for a row or table lock before it fails (and the update
# is retried, bot/middlewares/session.py), as SQLite's busy timeout does; PostgreSQL's own default
# is to wait for ever.
PG_LOCK_TIMEOUT_MS = 10_000
# A webhook worker handles many updates at once (Telegram opens up to 40 connections to it), each
# holding a connection from its first statement to its commit. A connection beyond the pool's size
# is closed when returned, and asyncpg must prepare every statement again on the next new one: at
# SQLAlchemy's default of 5, a busy worker spent a tenth of its time opening connections and
# preparing statements (bench/load.py). No overflow beyond that: an update past the 20th waits for
# a connection (up to 30 s) instead of opening one, so a worker holds at most 20 for updates and,
# on the advisory-lock path, 20 for the per-person locks (storage/user_locks.py). With overflow
# (20 + 20 a pool) two workers of the load benchmark passed PostgreSQL's default max_connections
# of 100 and updates failed with "remaining connection slots are reserved".
PG_POOL_SIZE = 20
PG_POOL_OVERFLOW = 0
# SQLSTATEs worth trying again: serialization failure, deadlock, lock timeout, the server going
# away (admin shutdown, crash, cannot connect now), and too many connections (several workers'
# pools together can pass max_connections for a moment: a webhook update then answers 500 and
# Telegram brings it again, rather than it being recorded as failed).
RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03", "57P01", "57P02", "57P03", "08000", "08003", "08006", "53300"}


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def create_engine(url: str, *, lock_timeout_ms: int | None = None, read_only: bool = False,
                  pre_ping: bool = True) -> AsyncEngine:
    """`lock_timeout_ms`: how long a statement waits for a lock (SQLite's busy timeout, PostgreSQL's
    lock_timeout); the defaults above unless a test wants a short one. `read_only`: every statement
    that would write fails (SQLite's query_only, PostgreSQL's read-only transactions), for readers
    that run beside the bot, such as the dossier workers.

    `pre_ping=False` (PostgreSQL): no test of each pooled connection before use. asyncpg's ping is
    three round trips (begin, an empty statement, rollback) on every checkout, a third of a visit
    step's. Without it, a connection the server dropped fails its first statement; SQLAlchemy then
    discards every pooled connection older than that, and a caller that retries transient errors
    (`is_transient` below, as the update middleware does) gets a fresh one."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            with contextlib.suppress(OSError):  # if it cannot be made, connecting says so (`reach`)
                Path(database).parent.mkdir(parents=True, exist_ok=True)
        busy_ms = SQLITE_BUSY_TIMEOUT_MS if lock_timeout_ms is None else lock_timeout_ms
        engine = create_async_engine(url, module=sqlite_driver.dbapi(), hide_parameters=True,
                                     connect_args={"timeout": busy_ms / 1000})
        event.listen(engine.sync_engine, "connect",
                     lambda conn, _record: _sqlite_pragmas(conn, _record, busy_ms, read_only=read_only))
        return engine
    lock_ms = PG_LOCK_TIMEOUT_MS if lock_timeout_ms is None else lock_timeout_ms
    server_settings = {"lock_timeout": str(lock_ms)}
    if read_only:
        server_settings["default_transaction_read_only"] = "on"
    return create_async_engine(url, pool_pre_ping=pre_ping, hide_parameters=True,
                               pool_size=PG_POOL_SIZE, max_overflow=PG_POOL_OVERFLOW,
                               connect_args={"server_settings": server_settings})


def create_sync_engine(url: str) -> Engine:
    """A blocking engine (APScheduler's job store) with the same SQLite settings as ours: without
    the busy timeout it gave up with "database is locked" while the bot migrated at start-up."""
    if make_url(url).get_backend_name() != "sqlite":
        return create_blocking_engine(url, pool_pre_ping=True, hide_parameters=True)
    engine = create_blocking_engine(url, hide_parameters=True)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _write_ahead_log(cursor, busy_ms: int) -> None:  # noqa: ANN001
    """Switch a database file to WAL (kept in the file: once is enough). Processes opening a new
    file at once race on the switch, which needs the file to itself, and SQLite refuses the loser
    without waiting ("database is locked"; a CI run met it): the loser looks again until the winner
    has switched."""
    deadline = time.monotonic() + busy_ms / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as exc:  # the driver's OperationalError, as the adapted connection raises it
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(0.02)  # at connect only, and only while another connection switches the file


def _sqlite_pragmas(dbapi_connection, _record, busy_ms: int = SQLITE_BUSY_TIMEOUT_MS,  # noqa: ANN001
                    read_only: bool = False) -> None:
    cursor = dbapi_connection.cursor()
    _write_ahead_log(cursor, busy_ms)
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, far fewer fsyncs
    if read_only:  # after journal_mode, which a new database file would have to write
        cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose flushes keep the console's running counts (storage.running_counts)."""
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=CountingSession)


class DatabaseUnreachable(Exception):
    """The database could not be reached at all (at start): where, and why in one line."""

    def __init__(self, url: str, reason: str, setting: str = "TEPAI_DATABASE_URL") -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.setting = setting  # where the operator fixes it


async def reach(engine: AsyncEngine) -> None:
    """Connect once, so a database that is down, refuses us or cannot be opened is reported as
    DatabaseUnreachable instead of failing somewhere inside the first migration."""
    try:
        url = engine.url
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            # Opened plainly first: aiosqlite's worker thread outlives a failed open and then
            # prints a traceback of its own when the event loop has closed.
            await asyncio.to_thread(lambda: sqlite3.connect(url.database).close())
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise DatabaseUnreachable(engine.url.render_as_string(hide_password=True), one_line(exc)) from exc


def one_line(exc: BaseException) -> str:
    """The driver's own words for a failure, first line only (SQLAlchemy adds the statement and a
    link; asyncpg and sqlite3 say what went wrong)."""
    inner = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    words = str(inner).strip().splitlines()
    return words[0] if words else type(inner).__name__


class TryAgain(Exception):
    """Work that met a concurrent transaction's committed change (a row it was about to create
    exists now): a fresh attempt sees that change and takes it into account."""


def is_transient(exc: BaseException) -> bool:
    """A failure that trying the same work again later may not meet: a lock that was not freed in
    time, a deadlock, a database that went away (and may come back), or TryAgain."""
    if isinstance(exc, TryAgain):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        orig = exc.orig
        if getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
            return True
        text = str(orig).lower()
        if "database is locked" in text or "database table is locked" in text or "database is busy" in text:
            return True
        return isinstance(orig.__cause__ if orig is not None else None, OSError)
    # Connecting: refused, unreachable, timed out; or no pooled connection free within the pool's
    # timeout (a worker overloaded for 30 s): all may pass.
    return isinstance(exc, (OSError, asyncio.TimeoutError, PoolTimeout))


DURABLE = "tepai_durable"


def durable(session: AsyncSession) -> None:
    """Mark the session's transaction as one that must survive power loss when its commit returns
    (a stored visit): `commit` below then makes it so."""
    session.info[DURABLE] = True


async def commit(session: AsyncSession) -> None:
    """Commit; for a transaction marked `durable` on SQLite, also force the write-ahead log to disk.

    SQLite runs `synchronous=NORMAL` (a commit reaches the WAL file but not the disk; power loss can
    undo the latest commits): FULL on every commit cost 1.5-3 ms on this machine's disk, a third of
    a visit step, and the setting cannot change inside a transaction. An fsync of the WAL after the
    commit does for this commit exactly what FULL would have done. PostgreSQL's commits are durable
    already (synchronous_commit=on).
    """
    await session.commit()
    if not session.info.pop(DURABLE, False):
        return
    url = session.bind.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        await asyncio.to_thread(sync_wal, Path(url.database))


def sync_wal(database: Path) -> None:
    wal = Path(f"{database}-wal")
    try:
        fd = os.open(wal, os.O_RDONLY)
    except FileNotFoundError:  # checkpointed and removed: the main file holds it, synced by SQLite
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
