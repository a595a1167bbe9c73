"""Who is writing: their account, roles and language, put in the handler data."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User as TgUser

from domain.clock import Clock
from domain.roles import Role
from locales import Translator
from storage.repositories import Repos


class UserMiddleware(BaseMiddleware):
    def __init__(self, clock: Clock, default_language: str) -> None:
        self._clock = clock
        self._default_language = default_language

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        tg_user: TgUser | None = data.get("event_from_user")
        repos: Repos = data["repos"]
        if tg_user is None or tg_user.is_bot:
            data["t"] = Translator(self._default_language, markup=True)
            data["roles"] = frozenset()
            return await handler(event, data)
        user, grants = await repos.users.seen(tg_user.id, tg_user.full_name, tg_user.username, self._clock.now())
        data["unit_of_work"].before_commit(repos.users.write_renames)  # a changed name, written last
        data["user"] = user
        data["grants"] = grants
        data["roles"] = frozenset(Role(g.role) for g in grants)
        data["t"] = Translator(user.language or self._default_language, markup=True)
        return await handler(event, data)
