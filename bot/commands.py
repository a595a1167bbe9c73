"""The command registry: menus per language and role, and which roles each command needs."""
from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from domain.roles import Role
from locales import LANGUAGES, Translator


@dataclass(frozen=True)
class CommandSpec:
    name: str
    roles: frozenset[Role] | None = None  # None: everyone


ADMINS = frozenset({Role.BUREAU, Role.COUNTY})
COMMISSIONERS = frozenset({Role.COMMISSIONER})

COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start"),
    CommandSpec("help"),
    CommandSpec("me"),
    CommandSpec("lang"),
    CommandSpec("cancel"),
    CommandSpec("visit", COMMISSIONERS),
    CommandSpec("visits", COMMISSIONERS | ADMINS),
    CommandSpec("report", COMMISSIONERS),
    CommandSpec("outcome", COMMISSIONERS),
    CommandSpec("profile", COMMISSIONERS),
    CommandSpec("invite", ADMINS),
    CommandSpec("void", ADMINS),
    CommandSpec("record", ADMINS),
    CommandSpec("assessment", ADMINS),
    CommandSpec("dossier", ADMINS),
    CommandSpec("opinion", ADMINS),
    CommandSpec("review", frozenset({Role.BUREAU})),
    CommandSpec("grade", frozenset({Role.BUREAU})),
    CommandSpec("change", frozenset({Role.COMMISSIONER, Role.ENTERPRISE})),
    CommandSpec("changes", frozenset({Role.BUREAU})),
    CommandSpec("disqualify", frozenset({Role.BUREAU})),
    CommandSpec("need", frozenset({Role.ENTERPRISE})),
    CommandSpec("needs", frozenset({Role.ENTERPRISE, Role.COUNTY, Role.BUREAU, Role.COMMISSIONER})),
    CommandSpec("pairings", frozenset({Role.BUREAU})),
    CommandSpec("notice", frozenset(Role)),
    CommandSpec("sign", frozenset({Role.COMMISSIONER, Role.ENTERPRISE, Role.UNIT})),
    CommandSpec("web", ADMINS),
)

GATED: dict[str, frozenset[Role]] = {c.name: c.roles for c in COMMANDS if c.roles is not None}


def visible_commands(roles: frozenset[Role]) -> list[CommandSpec]:
    return [c for c in COMMANDS if c.roles is None or c.roles & roles]


def menu(roles: frozenset[Role], lang: str) -> list[BotCommand]:
    t = Translator(lang)
    return [BotCommand(command=c.name, description=t(f"commands.{c.name}")) for c in visible_commands(roles)]


async def set_default_menus(bot: Bot) -> None:
    """Chinese for everyone, English for Telegram clients set to English."""
    for lang in LANGUAGES:
        await bot.set_my_commands(
            menu(frozenset(), lang), scope=BotCommandScopeDefault(), language_code=None if lang == "zh" else lang
        )


async def set_chat_menu(bot: Bot, chat_id: int, roles: frozenset[Role], lang: str) -> None:
    """A person's own menu: their roles' commands, in their chosen language."""
    await bot.set_my_commands(menu(roles, lang), scope=BotCommandScopeChat(chat_id=chat_id))
