"""Alembic migrations on SQLite and PostgreSQL: up, down, up again, and in step with the models."""
from __future__ import annotations

import warnings
from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import migrate, running_counts
from storage.db import create_engine
from storage.models import Base, RunningCount


@pytest.fixture
async def bare_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty, unmigrated database."""
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


def _differences(sync_conn) -> list:  # noqa: ANN001
    context = MigrationContext.configure(sync_conn, opts={"compare_type": True, "compare_server_default": False})
    with warnings.catch_warnings():
        # SQLite's reflection cannot read the photo hash's band indexes (expressions, migration
        # 0013); tests/test_photo_bands.py checks them, on PostgreSQL through the query plan.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index ix_stored_files_phash")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index 'ix_stored_files_phash")
        return compare_metadata(context, Base.metadata)


async def test_head_revision_is_known():
    assert migrate.head_revision()


async def test_empty_database_has_no_revision(bare_engine):
    assert await migrate.current_revision(bare_engine) is None


async def test_upgrade_downgrade_upgrade(bare_engine):
    model_tables = set(Base.metadata.tables)

    await migrate.upgrade(bare_engine)
    assert await migrate.current_revision(bare_engine) == migrate.head_revision()
    assert await _tables(bare_engine) == model_tables | {"alembic_version"}

    await migrate.downgrade(bare_engine, "base")
    assert await _tables(bare_engine) <= {"alembic_version"}
    assert await migrate.current_revision(bare_engine) is None

    await migrate.upgrade(bare_engine)
    assert await migrate.current_revision(bare_engine) == migrate.head_revision()
    assert await _tables(bare_engine) == model_tables | {"alembic_version"}


async def test_upgrade_twice_is_a_no_op(bare_engine):
    await migrate.upgrade(bare_engine)
    await migrate.upgrade(bare_engine)
    assert await migrate.current_revision(bare_engine) == migrate.head_revision()


async def test_running_counts_of_an_older_database_are_counted_again(bare_engine):
    """0014 makes the running counts' table again (a long key kept beside its digest): what an
    older Tepai counted there is replaced by this version's recount."""
    await migrate.upgrade(bare_engine, "0013")
    async with bare_engine.begin() as conn:
        await conn.execute(text("INSERT INTO running_counts (figure, year, county, county2, key, n) VALUES "
                                "('cohort', 0, '城区', '', '2026-01-01:2026-12-31', 3), ('built', 1, '', '', '', 1)"))
    await migrate.upgrade(bare_engine)
    async with bare_engine.connect() as conn:
        assert await conn.run_sync(running_counts.check) == {}
        rows = (await conn.execute(select(RunningCount.figure, RunningCount.year))).all()
    assert rows == [("built", running_counts.VERSION)]


async def test_migrated_schema_matches_the_models(engine):
    async with engine.connect() as conn:
        differences = await conn.run_sync(_differences)
    assert differences == []


def _check_constraints(sync_conn) -> set[tuple[str, str]]:  # noqa: ANN001
    inspector = inspect(sync_conn)
    return {(table, ck["name"]) for table in inspector.get_table_names()
            for ck in inspector.get_check_constraints(table)}


async def test_migrated_schema_has_the_models_check_constraints(engine):
    # compare_metadata does not look at CHECK constraints; compare their names here.
    wanted = {(table.name, ck.name) for table in Base.metadata.sorted_tables for ck in table.constraints
              if ck.__class__.__name__ == "CheckConstraint"}
    assert wanted, "the models declare check constraints"
    async with engine.connect() as conn:
        found = await conn.run_sync(_check_constraints)
    assert wanted <= found


async def test_processes_starting_together_migrate_once(database_url):
    """The webhook workers, the scheduler and the console all migrate at start (storage.migrate.
    upgrade): started together after a deploy that brings a migration, they must not race on it
    (one creating a table the other then fails to create, or both rebuilding the running counts)."""
    import asyncio

    engines = [create_engine(database_url) for _ in range(3)]
    try:
        await asyncio.gather(*(migrate.upgrade(e) for e in engines))
        assert await migrate.current_revision(engines[0]) == migrate.head_revision()
    finally:
        for e in engines:
            await e.dispose()
