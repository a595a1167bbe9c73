"""aiogram FSM storage in our own database, so drafts survive a restart (MemoryStorage loses them).

While an update is being handled, state is read through that update's own session
(`bind_update_session`) and its writes wait in the update's scope until the update commits
(`UpdateScope.flush`, called just before the commit): a draft and the rows a step writes commit
together, SQLite's single writer is never asked to serve two connections of one update at once,
and a step that only moves the conversation takes SQLite's write lock for one statement at the end,
not from its first `set_state` through every reply.
"""
from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock, SystemClock
from storage.models import FsmRecord
from storage.repositories._upsert import upsert

class UpdateScope:
    """The update's session, the records read or written in it (read once per update), and the
    writes not yet made (column values by key)."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.records: dict[str, tuple[str | None, dict[str, Any]] | None] = {}
        self.pending: dict[str, dict[str, Any]] = {}
        # A storage outside the database (storage/fsm_after_commit.py) keeps its records here and
        # writes them once the update has committed.
        self.outside: dict[Any, Any] = {}
        self.after_commit: list[Callable[[], Awaitable[None]]] = []

    async def flush(self) -> None:
        """Write the conversation state changed during the update (call just before committing)."""
        pending, self.pending = self.pending, {}
        for key, values in pending.items():
            await _upsert_row(self.session, key, {**values, "updated_at": self.clock.now()})

    async def committed(self) -> None:
        """Call once the update's transaction has committed."""
        steps, self.after_commit = self.after_commit, []
        for step in steps:
            await step()


_update_scope: ContextVar[UpdateScope | None] = ContextVar("tepai_update_scope", default=None)


def bind_update_session(session: AsyncSession, clock: Clock | None = None):  # noqa: ANN201 - a Token
    """Route FSM reads and writes through `session` in this task; returns the token to reset.
    The writes are made by `current_scope().flush()`."""
    return _update_scope.set(UpdateScope(session, clock or SystemClock()))


def current_scope() -> UpdateScope | None:
    return _update_scope.get()


async def _upsert_row(session: AsyncSession, key: str, values: dict[str, Any]) -> None:
    """Write only the given columns; a new row starts with no state and no data."""
    stmt = upsert(session.get_bind().dialect.name, FsmRecord.__table__, ("key",), tuple(sorted(values)))
    await session.execute(stmt, {"key": key, "state": None, "data": {}, **values})


def unbind_update_session(token) -> None:  # noqa: ANN001
    _update_scope.reset(token)


class DatabaseStorage(BaseStorage):
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock | None = None,
        key_builder: KeyBuilder | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock or SystemClock()
        self._keys = key_builder or DefaultKeyBuilder(with_destiny=True)

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        scope = _update_scope.get()
        if scope is not None:
            yield scope.session  # committed (or rolled back) with the rest of the update
            return
        async with self._sessionmaker() as own, own.begin():
            yield own

    async def _upsert(self, key: StorageKey, values: dict[str, Any]) -> None:
        built = self._keys.build(key)
        scope = _update_scope.get()
        if scope is None:
            async with self._session() as session:
                await _upsert_row(session, built, {**values, "updated_at": self._clock.now()})
            return
        state, data = await self._get(key) or (None, {})  # later reads in this update see the write
        scope.records[built] = (values.get("state", state), values.get("data", data))
        scope.pending[built] = {**scope.pending.get(built, {}), **values}

    async def _get(self, key: StorageKey) -> tuple[str | None, dict[str, Any]] | None:
        built = self._keys.build(key)
        scope = _update_scope.get()
        if scope is not None and built in scope.records:
            return scope.records[built]
        async with self._session() as session:
            row = (await session.execute(
                select(FsmRecord.state, FsmRecord.data).where(FsmRecord.key == built)
            )).first()
        record = (row.state, row.data) if row else None
        if scope is not None:
            scope.records[built] = record
        return record

    async def set_record(self, key: StorageKey, state: StateType, data: Mapping[str, Any]) -> None:
        """State and data in one write (one step of a conversation usually changes both)."""
        value = state.state if isinstance(state, State) else state
        await self._upsert(key, {"state": value, "data": dict(data)})

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._upsert(key, {"state": value})

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._get(key)
        return record[0] if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, dict):
            raise ValueError(f"Data must be a dict, not {type(data).__name__}")
        await self._upsert(key, {"data": dict(data)})

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._get(key)
        return copy.deepcopy(record[1]) if record and record[1] else {}  # callers may mutate it

    async def close(self) -> None:
        return None
