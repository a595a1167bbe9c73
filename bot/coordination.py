"""What processes serving one bot share besides the database: where conversation state lives and
how one person's updates are kept one at a time across webhook workers (storage/user_locks.py).

| TEPAI_REDIS_URL | conversation state                    | one person at a time across workers |
|-----------------|---------------------------------------|-------------------------------------|
| set             | Redis (written after the commit)      | a Redis lock (aiogram's isolation)  |
| unset           | the database (in the update's commit) | a PostgreSQL advisory lock          |

SQLite is one process: nothing beyond the in-process FIFO lock. Polling is one process too
(Telegram serves getUpdates to one caller), so it never takes the cross-process lock.
"""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from bot.settings import Settings
from storage.db import DatabaseUnreachable, one_line
from storage.fsm_after_commit import AfterCommitStorage
from storage.user_locks import AdvisoryUserLocks, RedisUserLocks, UserLocks

# Keys carry the bot's id, so one Redis can serve several bots.
REDIS_KEYS = DefaultKeyBuilder(prefix="tepai", with_bot_id=True)


@dataclass(frozen=True)
class Coordination:
    storage: BaseStorage | None  # None: the database (storage/fsm.py)
    user_locks: UserLocks | None  # None: this process's FIFO lock is enough
    redis: Redis | None = None  # TEPAI_REDIS_URL's client, for /readyz to ask too (bot/health.py)


@contextlib.asynccontextmanager
async def coordination(settings: Settings, *, workers: bool) -> AsyncIterator[Coordination]:
    """`workers`: this process may be one of several (`tepai webhook`). Redis is reached first,
    so a wrong URL stops the start with one line, as a database that is down does."""
    if settings.redis_url is not None:
        url = settings.redis_url.get_secret_value()
        redis = Redis.from_url(url)
        try:
            try:
                await redis.ping()
            except Exception as exc:
                raise DatabaseUnreachable(_without_password(url), one_line(exc), "TEPAI_REDIS_URL") from exc
            yield Coordination(AfterCommitStorage(RedisStorage(redis, key_builder=REDIS_KEYS)),
                               RedisUserLocks(redis, keys=REDIS_KEYS) if workers else None, redis)
        finally:
            await redis.aclose(close_connection_pool=True)
        return
    if not workers or make_url(settings.db_url).get_backend_name() == "sqlite":
        yield Coordination(None, None)
        return
    locks = AdvisoryUserLocks.from_url(settings.db_url)
    try:
        yield Coordination(None, locks)
    finally:
        await locks.close()


def _without_password(url: str) -> str:
    parts = url.split("@", 1)
    if len(parts) == 2 and ":" in parts[0].split("//", 1)[-1]:
        return parts[0].rsplit(":", 1)[0] + ":***@" + parts[1]
    return url
