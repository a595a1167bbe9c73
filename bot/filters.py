"""Role filters, put on a router (`router.message.filter(HasRole(...))`) rather than on each handler."""
from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import Filter
from aiogram.types import TelegramObject

from domain.roles import Role, admin_covers

__all__ = ["NOT_COMMAND", "TYPED", "HasRole", "admin_covers"]  # admin_covers: the domain's, kept here for handlers

# A command is never taken as an answer: it goes on to its own router (or the fallback's refusal).
NOT_COMMAND = ~F.text.startswith("/")
TYPED = F.text & NOT_COMMAND  # text typed as an answer


class HasRole(Filter):
    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, event: TelegramObject, roles: frozenset[Role] = frozenset(), **_: Any) -> bool:
        return bool(self.roles & roles)
