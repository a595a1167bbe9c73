"""Throw-away databases for tests and bench: PostgreSQL admin statements, a migrated template per
run, snapshots of heavier states cloned per test, and a scratch database for the bench."""
from __future__ import annotations

import asyncio
import os
import shutil
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from storage import migrate
from storage.db import create_engine, sqlite_url

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PG_ADMIN_URL = os.environ.get("TEPAI_TEST_PG_ADMIN_URL")
REDIS_URL = os.environ.get("TEPAI_TEST_REDIS_URL")  # scripts/start-redis.sh, started by `make test`


async def pg_admin(sql: str, admin_url: str | None = None) -> None:
    url = make_url(admin_url or PG_ADMIN_URL)
    conn = await asyncpg.connect(user=url.username, password=url.password, host=url.host,
                                 port=url.port or 5432, database=url.database or "postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pg_url(name: str, admin_url: str | None = None) -> str:
    """The URL of database `name` on the admin URL's server."""
    return make_url(admin_url or PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


async def create_database(name: str, template: str | None = None, admin_url: str | None = None) -> None:
    clause = f' TEMPLATE "{template}"' if template else ""
    for attempt in range(20):  # an autovacuum worker may be on the template for a moment
        try:
            await pg_admin(f'CREATE DATABASE "{name}"{clause}', admin_url)
            return
        except asyncpg.ObjectInUseError:
            await asyncio.sleep(0.1 * (attempt + 1))
    await pg_admin(f'CREATE DATABASE "{name}"{clause}', admin_url)


async def drop_database(name: str, admin_url: str | None = None) -> None:
    # An autovacuum worker may still be on the fresh database, and only a superuser may end it:
    # wait for it a little; a database left behind is removed by the next `make test`.
    for attempt in range(20):
        try:
            await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin_url)
            return
        except (asyncpg.InsufficientPrivilegeError, asyncpg.ObjectInUseError):
            await asyncio.sleep(0.1 * (attempt + 1))
    warnings.warn(f"test database {name} left behind; the next `make test` removes it", stacklevel=1)


@asynccontextmanager
async def scratch_database(admin_url: str, prefix: str) -> AsyncIterator[str]:
    """An empty PostgreSQL database for the block; its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    await create_database(name, admin_url=admin_url)
    try:
        yield pg_url(name, admin_url)
    finally:
        await drop_database(name, admin_url)


async def migrate_url(url: str) -> None:
    eng = create_engine(url)
    try:
        await migrate.upgrade(eng)
    finally:
        await eng.dispose()


async def template(backend: str, templates: dict[str, str], tmp_path_factory) -> str:  # noqa: ANN001
    """The run's migrated template for `backend` (made on first use): a SQLite file's path, or a
    PostgreSQL database's name."""
    if backend not in templates:
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("template") / "tepai.db"
            await migrate_url(sqlite_url(path))
            templates[backend] = str(path)
        else:
            name = f"tepai_t_{os.getpid()}_template"
            await pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
            await create_database(name)
            await migrate_url(pg_url(name))
            templates[backend] = name
    return templates[backend]


async def restore_snapshot(database_url: str, key: str, templates: dict[str, str], tmp_path_factory,  # noqa: ANN001
                           build: Callable[[str], Awaitable[None]]) -> None:
    """Make the test's database (not yet connected to) a copy of snapshot `key`: `build(url)` fills
    a migrated database once per run (and closes its connections); each test then clones it."""
    backend = "sqlite" if make_url(database_url).get_backend_name() == "sqlite" else "postgres"
    full = f"{backend}:{key}"
    if full not in templates:
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("snapshot") / "tepai.db"
            shutil.copyfile(await template("sqlite", templates, tmp_path_factory), path)
            await build(sqlite_url(path))
            templates[full] = str(path)
        else:
            name = f"tepai_t_{os.getpid()}_{key}"
            await pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
            await create_database(name, await template("postgres", templates, tmp_path_factory))
            await build(pg_url(name))
            templates[full] = name
    target = make_url(database_url).database
    if backend == "sqlite":
        shutil.copyfile(templates[full], target)
    else:
        await pg_admin(f'DROP DATABASE "{target}" WITH (FORCE)')
        await create_database(target, templates[full])
