"""Process each update once: Telegram re-delivers updates it thinks were not confirmed."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update

from bot.middlewares.session import DeliveredTwice, UnitOfWork
from domain.clock import Clock
from storage.repositories import Repos

log = logging.getLogger(__name__)


class DedupeMiddleware(BaseMiddleware):
    """Skips an update id already stored in processed_updates, and stores this one's id in the
    update's own transaction just before it commits (after DbSessionMiddleware).

    On SQLite the claim comes last so that it does not take the write lock for the whole handler.
    Two deliveries of one update handled at the same time both run; the second to commit finds the
    claim taken and rolls back without a word (DeliveredTwice). On PostgreSQL the claim comes
    first and stands for the read (one round trip less an update): a second delivery's claim waits
    for the first's transaction and, once that commits, finds the row and skips. Either way, if
    handling fails the claim is rolled back with everything else, so a re-delivery gets another
    chance.
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
            claims_first = repos.updates.claims_first
            if claims_first:
                seen = not await repos.updates.claim(bot.id, event.update_id, self._clock.now())
            else:
                seen = await repos.updates.handled(bot.id, event.update_id)
            if seen:
                log.info("update %s delivered again; skipped", event.update_id)
                return None
            if not claims_first:
                async def claim() -> None:
                    if not await repos.updates.claim(bot.id, event.update_id, self._clock.now()):
                        raise DeliveredTwice(event.update_id)

                work: UnitOfWork = data["unit_of_work"]
                work.before_commit(claim)
        return await handler(event, data)
