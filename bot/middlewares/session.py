"""One database session per update: handlers get `repos`, committed when the handler returns.
The FSM storage writes the conversation state through the same session."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.fsm import bind_update_session, unbind_update_session
from storage.repositories import Repos


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self._sessionmaker() as session:
            data["repos"] = Repos(session)
            token = bind_update_session(session)  # conversation state joins this unit of work
            try:
                result = await handler(event, data)
            except Exception:
                await session.rollback()
                raise
            finally:
                unbind_update_session(token)
            await session.commit()
            return result
