"""Process each update once: Telegram re-delivers updates it thinks were not confirmed."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update

from domain.clock import Clock
from storage.repositories import Repos

log = logging.getLogger(__name__)


class DedupeMiddleware(BaseMiddleware):
    """Claims the update id in the update's own transaction (after DbSessionMiddleware).

    A second delivery arriving while the first is still being handled waits on the first's row
    (PostgreSQL) or on the write lock (SQLite), then finds it and is skipped. If handling fails,
    the claim is rolled back with everything else, so a re-delivery gets another chance.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Update):
            bot: Bot = data["bot"]
            repos: Repos = data["repos"]
            if not await repos.updates.claim(bot.id, event.update_id, self._clock.now()):
                log.info("update %s delivered again; skipped", event.update_id)
                return None
        return await handler(event, data)
