"""Shared fixtures: a real database per test (SQLite file, and PostgreSQL), a clock, a policy."""
from __future__ import annotations

import asyncio
import os
import shutil
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.clock import FrozenClock
from domain.policy import Policy, load_policy
from storage import migrate
from storage.db import create_engine, create_sessionmaker, sqlite_url
from storage.repositories import Repos

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PG_ADMIN_URL = os.environ.get("TEPAI_TEST_PG_ADMIN_URL")
BACKENDS = ["sqlite", "postgres"]


def pytest_collection_modifyitems(config, items):  # noqa: ANN001, ARG001
    if PG_ADMIN_URL:
        try:
            make_url(PG_ADMIN_URL)
        except Exception as exc:  # one clear line instead of an error in every PostgreSQL test
            raise pytest.UsageError(f"TEPAI_TEST_PG_ADMIN_URL is not a database URL: {PG_ADMIN_URL!r}") from exc
        return
    if os.environ.get("CI"):
        raise pytest.UsageError("TEPAI_TEST_PG_ADMIN_URL is not set: run the tests with `make test`")
    skip = pytest.mark.skip(reason="PostgreSQL not configured (make test starts it)")
    for item in items:
        if "postgres" in item.keywords or "[postgres" in item.nodeid:
            item.add_marker(skip)


async def _pg_admin(sql: str) -> None:
    url = make_url(PG_ADMIN_URL)
    conn = await asyncpg.connect(user=url.username, password=url.password, host=url.host,
                                 port=url.port or 5432, database=url.database or "postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory) -> dict[str, str]:  # noqa: ANN001
    """Each backend migrated once per run, lazily: a SQLite file to copy, a PostgreSQL template
    database to clone. Running every migration for each of a thousand tests took minutes."""
    templates: dict[str, str] = {}
    yield templates
    for key, name in templates.items():
        if key.startswith("postgres"):
            asyncio.run(_drop_database(name))


async def _migrate(url: str) -> None:
    eng = create_engine(url)
    try:
        await migrate.upgrade(eng)
    finally:
        await eng.dispose()


async def _template(backend: str, templates: dict[str, str], tmp_path_factory) -> str:  # noqa: ANN001
    if backend not in templates:
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("template") / "tepai.db"
            await _migrate(sqlite_url(path))
            templates[backend] = str(path)
        else:
            name = f"tepai_t_{os.getpid()}_template"
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
            await _create_database(name)
            await _migrate(make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False))
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
            shutil.copyfile(await _template("sqlite", templates, tmp_path_factory), path)
            await build(sqlite_url(path))
            templates[full] = str(path)
        else:
            name = f"tepai_t_{os.getpid()}_{key}"
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
            await _create_database(name, await _template("postgres", templates, tmp_path_factory))
            await build(make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False))
            templates[full] = name
    target = make_url(database_url).database
    if backend == "sqlite":
        shutil.copyfile(templates[full], target)
    else:
        await _pg_admin(f'DROP DATABASE "{target}" WITH (FORCE)')
        await _create_database(target, templates[full])


async def _create_database(name: str, template: str | None = None) -> None:
    clause = f' TEMPLATE "{template}"' if template else ""
    for attempt in range(20):  # an autovacuum worker may be on the template for a moment
        try:
            await _pg_admin(f'CREATE DATABASE "{name}"{clause}')
            return
        except asyncpg.ObjectInUseError:
            await asyncio.sleep(0.1 * (attempt + 1))
    await _pg_admin(f'CREATE DATABASE "{name}"{clause}')


@pytest.fixture(params=BACKENDS)
async def database_url(request, tmp_path: Path, migrated_templates: dict[str, str],
                       tmp_path_factory) -> AsyncIterator[str]:  # noqa: ANN001
    """A database: a SQLite file, or a throw-away PostgreSQL database. Empty, unless the test
    also uses `engine`: then a copy of the run's migrated template."""
    migrated = "engine" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "tepai.db"
        if migrated:
            shutil.copyfile(await _template("sqlite", migrated_templates, tmp_path_factory), path)
        yield sqlite_url(path)
        return
    # The pid lets `scripts/start-postgres.sh` drop only databases of test runs that are gone.
    name = f"tepai_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    await _create_database(name, await _template("postgres", migrated_templates, tmp_path_factory) if migrated else None)
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await _drop_database(name)


async def _drop_database(name: str) -> None:
    # An autovacuum worker may still be on the fresh database, and only a superuser may end it:
    # wait for it a little; a database left behind is removed by the next `make test`.
    for attempt in range(20):
        try:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except (asyncpg.InsufficientPrivilegeError, asyncpg.ObjectInUseError):
            await asyncio.sleep(0.1 * (attempt + 1))
    warnings.warn(f"test database {name} left behind; the next `make test` removes it", stacklevel=1)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated database (`database_url` made it from the run's template)."""
    eng = create_engine(database_url)
    try:
        yield eng
    finally:
        await eng.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
async def repos(sessionmaker) -> AsyncIterator[Repos]:  # noqa: ANN001
    async with sessionmaker() as session:
        yield Repos(session)


@pytest.fixture
def clock() -> FrozenClock:
    # 10:00 in Shanghai on a Monday in March.
    return FrozenClock(datetime(2026, 3, 16, 2, 0, tzinfo=timezone.utc))


@pytest.fixture(params=["yangquan"])
def policy(request) -> Policy:  # noqa: ANN001
    return load_policy(request.param)
