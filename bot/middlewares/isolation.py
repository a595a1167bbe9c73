"""One update per user at a time, from before the update's transaction opens until its replies
have gone out: two quick taps must not race on the same draft.

aiogram's FSM middleware takes this lock itself, but only around the handler; the commit and the
replies, which come after (bot/middlewares/session.py), would then overlap the next update's
reads. So the lock is taken here, outermost, and the FSM middleware's own is switched off.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.storage.base import BaseEventIsolation
from aiogram.types import TelegramObject


class OneUpdatePerUser(BaseMiddleware):
    def __init__(self, fsm: FSMContextMiddleware, isolation: BaseEventIsolation) -> None:
        self._fsm = fsm
        self._isolation = isolation

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        context = self._fsm.resolve_event_context(data["bot"], data)
        if context is None:
            return await handler(event, data)
        async with self._isolation.lock(key=context.key):
            return await handler(event, data)
