"""One person's updates one at a time across processes, in update_id order as far as possible:
several `tepai webhook` workers behind one address get one person's taps at the same moment, and
the in-process FIFO lock (bot/middlewares/ordering.py) cannot see the other worker.

Two engines, never a home-made one:
- Redis (`TEPAI_REDIS_URL`): aiogram's `RedisEventIsolation`, a redis-py lock per person that
  expires if its holder dies.
- PostgreSQL otherwise: a session-level advisory lock (`pg_advisory_lock`) per person, taken on a
  connection of its own (an AUTOCOMMIT pool apart from the updates' pool) and held around the
  whole update: its transaction, the retries of that transaction, the commit and the replies. A
  transaction-level lock (`pg_advisory_xact_lock`) would be let go by every rollback, so another
  worker could slip that person's next update in between two attempts of this one. The server
  frees the lock by itself if the process or its connection dies.
SQLite serves one process only and needs neither.

Order: Telegram posts a backlog in update_id order but concurrently, and the two workers may
reach the lock in any order. So each waiting update also shows a ticket (its update_id) where the
other workers see it — a shared advisory lock on (person, update_id), listed in `pg_locks` and
gone with its connection; a member of a sorted set in Redis, which expires when the person is idle
— and the holder of the person's lock gives it back and waits while a lower ticket is waiting, for
at most ORDER_WAIT_S (a ticket left behind by a crash cannot stall the person for longer).
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from typing import Protocol

from aiogram.fsm.storage.base import DefaultKeyBuilder, KeyBuilder, StorageKey
from aiogram.fsm.storage.redis import RedisEventIsolation
from redis.asyncio import Redis
from redis.exceptions import LockNotOwnedError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.db import create_engine

log = logging.getLogger(__name__)

# How long a waiting update waits for the person's previous one before it fails (and, in webhook
# mode, answers 500 so Telegram delivers it again later).
WAIT_S = 30.0
# A Redis lock whose holder died frees itself after this long; an update taking longer (a slow
# upload retried) loses it and logs so.
REDIS_LOCK_S = 120.0
# How long the holder of a person's lock defers to a lower update_id waiting for it.
ORDER_WAIT_S = 5.0
ORDER_POLL_S = 0.01


class UserLocks(Protocol):
    def hold(self, key: StorageKey, ticket: int | None = None) -> contextlib.AbstractAsyncContextManager[None]:
        """One person's lock, taken after every lower waiting `ticket` (an update_id) where possible."""

    async def close(self) -> None: ...


def _digest(text_key: str, size: int) -> bytes:
    return hashlib.blake2b(text_key.encode(), digest_size=size).digest()


def advisory_key(key: StorageKey) -> int:
    """A signed 64-bit advisory lock key for one person in one chat of one bot."""
    return int.from_bytes(_digest("tepai:user:" + DefaultKeyBuilder().build(key), 8), "big", signed=True)


def ticket_class(key: StorageKey) -> int:
    """The person, as the first half of a two-key advisory lock (non-negative: pg_locks shows oids)."""
    return int.from_bytes(_digest("tepai:turn:" + DefaultKeyBuilder().build(key), 4), "big") & 0x7FFFFFFF


_LOWER_TICKET = ("EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2"
                 " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                 " AND classid = CAST(:person AS oid) AND objid < CAST(:ticket AS oid))")
# One round trip each: show the ticket, then take the person's lock, then look for a lower ticket.
# Each MATERIALIZED step is evaluated before the query reads its row, so the order holds.
TAKE_IN_TURN = text(
    "WITH ticket AS MATERIALIZED (SELECT pg_advisory_lock_shared(:person, :ticket)),"
    " locked AS MATERIALIZED (SELECT pg_advisory_lock(:k) FROM ticket)"
    f" SELECT {_LOWER_TICKET} FROM locked")
RETAKE_IN_TURN = text(
    f"WITH locked AS MATERIALIZED (SELECT pg_advisory_lock(:k)) SELECT {_LOWER_TICKET} FROM locked")
TAKE = text("SELECT pg_advisory_lock(:k)")
UNLOCK = text("SELECT pg_advisory_unlock(:k)")
RELEASE = text("SELECT pg_advisory_unlock_all()")  # the lock and the ticket


class AdvisoryUserLocks:
    """`engine`: PostgreSQL, used for these locks alone (each lock holds one of its connections).

    Two round trips an update when nobody waits: take (ticket, lock and order check in one
    statement) and release. The pool does not ping a connection before lending it (that was three
    more round trips); a connection the server dropped fails the first statement, and the take is
    tried once more on a fresh one."""

    def __init__(self, engine: AsyncEngine, order_wait_s: float = ORDER_WAIT_S) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._owned = engine
        self._order_wait_s = order_wait_s

    @classmethod
    def from_url(cls, url: str, wait_s: float = WAIT_S) -> "AdvisoryUserLocks":
        """Its own pool: were the locks taken from the updates' pool, updates holding their
        person's lock could find every connection taken by updates waiting for theirs."""
        return cls(create_engine(url, lock_timeout_ms=int(wait_s * 1000), pre_ping=False))

    @contextlib.asynccontextmanager
    async def hold(self, key: StorageKey, ticket: int | None = None) -> AsyncIterator[None]:
        lock_id, person = advisory_key(key), ticket_class(key)
        ticket = None if ticket is None else ticket & 0x7FFFFFFF
        conn = await self._take(lock_id, person, ticket)
        try:
            try:
                yield
            finally:
                await self._release(conn)
        finally:
            await conn.close()

    async def _take(self, lock_id: int, person: int, ticket: int | None) -> AsyncConnection:
        for attempt in (1, 2):
            conn = await self._engine.connect()
            try:
                await self._take_in_turn(conn, lock_id, person, ticket)
                return conn
            except BaseException as exc:  # cancelled or failed while waiting: a lock may have been granted
                await _discard(conn)
                await conn.close()
                dropped = isinstance(exc, DBAPIError) and exc.connection_invalidated
                if attempt == 2 or not dropped:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _take_in_turn(self, conn: AsyncConnection, lock_id: int, person: int, ticket: int | None) -> None:
        if ticket is None:
            await conn.execute(TAKE, {"k": lock_id})
            return
        deadline = asyncio.get_running_loop().time() + self._order_wait_s
        statement = TAKE_IN_TURN
        while True:
            lower_waits = (await conn.execute(statement, {"k": lock_id, "person": person, "ticket": ticket})).scalar_one()
            if not lower_waits or asyncio.get_running_loop().time() > deadline:
                return
            await conn.execute(UNLOCK, {"k": lock_id})
            await asyncio.sleep(ORDER_POLL_S)
            statement = RETAKE_IN_TURN

    @staticmethod
    async def _release(conn: AsyncConnection) -> None:
        try:
            await conn.execute(RELEASE)
        except BaseException:
            # Never return a connection that may still hold the lock to the pool: closing it makes
            # the server let go.
            await _discard(conn)
            raise

    async def close(self) -> None:
        await self._owned.dispose()


async def _discard(conn: AsyncConnection) -> None:
    with contextlib.suppress(Exception):
        await conn.invalidate()


class RedisUserLocks:
    def __init__(self, redis: Redis, *, keys: KeyBuilder | None = None, wait_s: float = WAIT_S,
                 expire_s: float = REDIS_LOCK_S, order_wait_s: float = ORDER_WAIT_S) -> None:
        self._redis = redis
        self._keys = keys or DefaultKeyBuilder()
        self._expire_s = expire_s
        self._order_wait_s = order_wait_s
        # sleep: redis-py polls a taken lock; its 0.1 s default would add up to that to each wait.
        self._isolation = RedisEventIsolation(
            redis, key_builder=keys, lock_kwargs={"timeout": expire_s, "blocking_timeout": wait_s, "sleep": 0.01})

    @contextlib.asynccontextmanager
    async def hold(self, key: StorageKey, ticket: int | None = None) -> AsyncIterator[None]:
        queue = self._keys.build(key, "queue")
        if ticket is not None:
            async with self._redis.pipeline(transaction=True) as pipe:
                await pipe.zadd(queue, {str(ticket): ticket}).expire(queue, int(self._expire_s)).execute()
        failed: BaseException | None = None
        try:
            deadline = asyncio.get_running_loop().time() + self._order_wait_s
            while True:
                try:
                    async with self._isolation.lock(key):
                        if (ticket is None or asyncio.get_running_loop().time() > deadline
                                or not await self._redis.zcount(queue, "-inf", f"({ticket}")):
                            try:
                                yield
                            except BaseException as exc:
                                failed = exc
                                raise
                            return
                except LockNotOwnedError:  # expired while held: done, though the next may have begun
                    log.warning("a person's update outlasted its %.0f s Redis lock", self._expire_s)
                    if failed is not None:  # the update's own failure (UpdateNotHandled: a 500) stands
                        raise failed from None
                    return
                await asyncio.sleep(ORDER_POLL_S)
        finally:
            if ticket is not None:
                await self._redis.zrem(queue, str(ticket))

    async def close(self) -> None:
        await self._isolation.close()
