"""Whether a read-only command has anything to read: a missing or empty database is said plainly
(and the SQLite file is not created by looking), instead of a report of "0 people"."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from storage import migrate
from storage.db import create_engine, create_sessionmaker
from storage.models import Commissioner
from storage.repositories import Repos


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    return Path(parsed.database) if parsed.get_backend_name() == "sqlite" and parsed.database else None


async def has_data(url: str) -> bool:
    """True if the database exists, is migrated, and holds at least one commissioner or applicant."""
    path = _sqlite_file(url)
    if path is not None and not path.is_file():
        return False
    engine = create_engine(url)
    try:
        if await migrate.current_revision(engine) is None:
            return False
        async with create_sessionmaker(engine)() as session:
            return await Repos(session).people.count(Commissioner) > 0
    finally:
        await engine.dispose()
