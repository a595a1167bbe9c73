"""Run Alembic migrations from code, on a connection of our own async engine."""
from __future__ import annotations

import asyncio
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage import running_counts

# Every long-running command migrates as it starts, and a deployment starts several at once (the
# webhook workers, the scheduler, the console): one migrates while the others wait for its commit,
# then find nothing left to do. The PostgreSQL advisory lock's key, and how long a process waits.
MIGRATION_LOCK = int.from_bytes(b"tepaimig", "big") & 0x7FFFFFFFFFFFFFFF
MIGRATION_WAIT_S = 600.0


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("storage") / "migrations"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate, then make sure the running counts are this version's (filled after the migration
    that made their table, or after an upgrade that changed what they count)."""
    async with engine.begin() as conn:
        await _one_at_a_time(conn)
        await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))
        if revision == "head":
            await conn.run_sync(running_counts.ensure_current)


async def _one_at_a_time(conn: AsyncConnection, wait_s: float = MIGRATION_WAIT_S) -> None:
    """Hold the database's migration lock until this transaction ends (see MIGRATION_LOCK).
    PostgreSQL: an advisory lock, tried and retried (a plain wait would end at the connection's
    lock_timeout, shorter than a migration may take). SQLite: the write lock, taken before the
    first statement (otherwise each CREATE runs on its own and two processes interleave theirs),
    tried again while the other process migrates: one busy timeout (10 s) is shorter than a
    migration may take (a CI run on a loaded machine met it)."""
    deadline = asyncio.get_running_loop().time() + wait_s
    if conn.dialect.name == "sqlite":
        while True:
            try:
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                if "locked" not in str(exc.orig) or asyncio.get_running_loop().time() > deadline:
                    raise
    if conn.dialect.name != "postgresql":
        return
    take = text("SELECT pg_try_advisory_xact_lock(:key)")
    while not (await conn.execute(take, {"key": MIGRATION_LOCK})).scalar_one():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"another process has been migrating the database for {wait_s:.0f} s")
        await asyncio.sleep(0.2)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
