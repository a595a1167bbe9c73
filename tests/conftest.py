"""Shared fixtures: a real database per test (SQLite file, and PostgreSQL), a clock, a policy."""
from __future__ import annotations

import asyncio
import logging
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from domain.clock import FrozenClock
from domain.policy import Policy, load_policy
from storage.db import create_engine, create_sessionmaker, sqlite_url
from storage.repositories import Repos
from testkit.databases import PG_ADMIN_URL, REDIS_URL, create_database, drop_database, pg_url, template

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


@pytest.fixture(autouse=True)
def root_logger_handed_back():
    """A command run in-process (`configure_logging`) points the root logger at the sys.stderr of
    that moment: pytest's capture of that one test. Left in place, a later test in the same worker
    logs into the closed capture and reads "--- Logging error ---" on its own stderr."""
    root, scheduler = logging.getLogger(), logging.getLogger("apscheduler")
    handlers, levels = root.handlers[:], (root.level, scheduler.level)
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(levels[0])
    scheduler.setLevel(levels[1])


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory) -> dict[str, str]:  # noqa: ANN001
    """Each backend migrated once per run, lazily: a SQLite file to copy, a PostgreSQL template
    database to clone. Running every migration for each of a thousand tests took minutes."""
    templates: dict[str, str] = {}
    yield templates
    for key, name in templates.items():
        if key.startswith("postgres"):
            asyncio.run(drop_database(name))


@pytest.fixture(params=BACKENDS)
async def database_url(request, tmp_path: Path, migrated_templates: dict[str, str],
                       tmp_path_factory) -> AsyncIterator[str]:  # noqa: ANN001
    """A database: a SQLite file, or a throw-away PostgreSQL database. Empty, unless the test
    also uses `engine`: then a copy of the run's migrated template."""
    migrated = "engine" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "tepai.db"
        if migrated:
            shutil.copyfile(await template("sqlite", migrated_templates, tmp_path_factory), path)
        yield sqlite_url(path)
        return
    # The pid lets `scripts/start-postgres.sh` drop only databases of test runs that are gone.
    name = f"tepai_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    await create_database(name, await template("postgres", migrated_templates, tmp_path_factory) if migrated else None)
    try:
        yield pg_url(name)
    finally:
        await drop_database(name)


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
def redis_url() -> str:
    """The test Redis (shared by every run on the machine: tests use keys of their own)."""
    if not REDIS_URL:
        pytest.skip("Redis not configured: TEPAI_TEST_REDIS_URL is unset (make test starts it)")
    return REDIS_URL


@pytest.fixture
def clock() -> FrozenClock:
    # 10:00 in Shanghai on a Monday in March.
    return FrozenClock(datetime(2026, 3, 16, 2, 0, tzinfo=timezone.utc))


@pytest.fixture(params=["yangquan"])
def policy(request) -> Policy:  # noqa: ANN001
    return load_policy(request.param)


@pytest.fixture(scope="session")
def moto_s3():  # noqa: ANN201
    """One S3-compatible server (moto) on loopback for the whole run, started on first use."""
    from testkit.s3 import start_moto

    s3, server = start_moto()
    yield s3
    server.stop()


EVIDENCE_BACKENDS = ["directory", "s3"]


@pytest.fixture(params=EVIDENCE_BACKENDS)
def evidence_blobs(request, tmp_path: Path):  # noqa: ANN001, ANN201
    """Where the evidence store keeps bytes: a directory, or a fresh bucket on the moto server."""
    from storage.blobs import DirectoryBlobs

    if request.param == "directory":
        return DirectoryBlobs(tmp_path / "evidence")
    return request.getfixturevalue("moto_s3").blobs()
