"""The dialect's own INSERT, which has ON CONFLICT clauses on both SQLite and PostgreSQL."""
from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession, table: Any):  # noqa: ANN201 - dialect Insert
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


@cache
def upsert(dialect: str, table: Any, conflict: tuple[str, ...] = (), update: tuple[str, ...] = ()):  # noqa: ANN201
    """INSERT … ON CONFLICT (`conflict`) DO UPDATE SET each of `update` to the inserted value (DO
    NOTHING for no `update`), built once for each shape and run with the row as parameters. Hot
    paths use it: built anew on every update, the dedupe claim and the conversation state's write
    cost about 0.2 ms of construction and cache keys an update."""
    stmt = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    if not update:
        return stmt.on_conflict_do_nothing(index_elements=list(conflict) or None)
    return stmt.on_conflict_do_update(index_elements=list(conflict), set_={c: stmt.excluded[c] for c in update})
