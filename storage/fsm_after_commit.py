"""Conversation state kept outside the database (Redis, for several webhook workers), written only
once the update's transaction has committed.

aiogram's RedisStorage writes at once. An update whose transaction then fails is run again from
the start (bot/middlewares/session.py) and would find its conversation already moved on: a confirm
whose visit was rolled back would meet no draft. So, during an update, the state is read once,
changed in the update's scope (storage/fsm.py) and written after the commit; outside an update
(no scope) calls go straight through. A crash between the commit and that write leaves the state
one step behind the stored rows; the person is asked that step again.
"""
from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from storage.fsm import UpdateScope, current_scope

log = logging.getLogger(__name__)


@dataclass
class _Record:
    state: str | None
    data: dict[str, Any]
    changed: set[str] = field(default_factory=set)


class AfterCommitStorage(BaseStorage):
    def __init__(self, inner: BaseStorage) -> None:
        self.inner = inner

    async def _record(self, scope: UpdateScope, key: StorageKey) -> _Record:
        slot = (id(self), key)
        if slot not in scope.outside:
            scope.outside[slot] = _Record(await self.inner.get_state(key), await self.inner.get_data(key))
        return scope.outside[slot]

    async def _change(self, scope: UpdateScope, key: StorageKey, **values: Any) -> None:
        record = await self._record(scope, key)
        if not record.changed:
            scope.after_commit.append(lambda: self._write(key, record))
        for name, value in values.items():
            setattr(record, name, value)
            record.changed.add(name)

    async def _write(self, key: StorageKey, record: _Record) -> None:
        try:
            if "state" in record.changed:
                await self.inner.set_state(key, record.state)
            if "data" in record.changed:
                await self.inner.set_data(key, record.data)
        except Exception:  # the update's rows stand; its conversation stays a step behind
            log.exception("conversation state not saved after the commit")

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        scope = current_scope()
        if scope is None:
            await self.inner.set_state(key, value)
            return
        await self._change(scope, key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        scope = current_scope()
        return (await self._record(scope, key)).state if scope is not None else await self.inner.get_state(key)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, dict):
            raise ValueError(f"Data must be a dict, not {type(data).__name__}")
        scope = current_scope()
        if scope is None:
            await self.inner.set_data(key, data)
            return
        await self._change(scope, key, data=copy.deepcopy(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        scope = current_scope()
        if scope is None:
            return await self.inner.get_data(key)
        return copy.deepcopy((await self._record(scope, key)).data)  # callers may mutate it

    async def close(self) -> None:
        await self.inner.close()
