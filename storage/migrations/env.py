"""Alembic environment. Tepai runs migrations in code (storage.migrate) on a connection it opens;
the `alembic` command line works too, with TEPAI_DATABASE_URL or `-x url=...`."""
from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from storage.models import Base

config = context.config
target_metadata = Base.metadata


# Tables other libraries own in our database (APScheduler's job store makes its own).
FOREIGN_TABLES = {"apscheduler_jobs"}


def _ours(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001 - Alembic's hook signature
    return not (type_ == "table" and name in FOREIGN_TABLES)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_ours,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copy
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_standalone())


async def _run_standalone() -> None:
    from storage.db import create_engine

    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        # The `alembic` command line is an entry point of its own: it reads the one variable it
        # needs here rather than importing the bot's settings (storage imports only domain).
        url = os.environ.get("TEPAI_DATABASE_URL")
    if not url:
        raise SystemExit("Give the database: TEPAI_DATABASE_URL=... or `alembic -x url=... upgrade head`.")
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(_run_on)
    await engine.dispose()


def _run_on(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run `tepai db upgrade`.")
run_migrations_online()
