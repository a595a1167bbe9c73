"""One person's updates one after another, in the order they arrived.

aiogram's polling hands each update to its own task, and its event isolation takes its lock only
inside the FSM middleware, after our session and dedupe middlewares have already awaited the
database: a backlog of "/start <token>", "/me" from one person could then be answered out of
order. This middleware runs first, before anything awaits, so the tasks queue on a FIFO lock in
the order polling started them (getUpdates returns updates by update_id).

Several webhook workers also need a lock the other processes see (`shared`,
storage/user_locks.py: Redis, or a PostgreSQL advisory lock). It is taken inside this process's
turn, so one process asks for a person's shared lock once at a time and its own backlog keeps
its order (the update_id is its ticket in the order across processes); it is held until the
update's commit and replies are done, retries included.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.middlewares.user_context import EVENT_CONTEXT_KEY, EventContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import TelegramObject, Update

from storage.user_locks import UserLocks


class _Turns:
    """FIFO locks by key, dropped when nobody holds or waits for them (no growth with users)."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    async def run(self, key: Hashable, call: Callable[[], Awaitable[Any]]) -> Any:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                return await call()
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class UpdateOrderMiddleware(BaseMiddleware):
    """Serialises the updates of one person in one chat (the same key aiogram's FSM uses), in this
    process and, with `shared`, across processes."""

    def __init__(self, shared: UserLocks | None = None) -> None:
        self._turns = _Turns()
        self._shared = shared

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        context: EventContext | None = data.get(EVENT_CONTEXT_KEY)
        if context is None or (context.user_id is None and context.chat_id is None):
            return await handler(event, data)
        bot: Bot = data["bot"]
        key = (bot.id, context.chat_id or context.user_id, context.user_id)
        if self._shared is None:
            return await self._turns.run(key, lambda: handler(event, data))
        return await self._turns.run(key, lambda: self._across_processes(StorageKey(*key), handler, event, data))

    async def _across_processes(self, key: StorageKey, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                                event: TelegramObject, data: dict[str, Any]) -> Any:
        assert self._shared is not None
        async with self._shared.hold(key, event.update_id if isinstance(event, Update) else None):
            return await handler(event, data)
