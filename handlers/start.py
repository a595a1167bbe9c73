"""/start: redeem an invite from a deep link, or explain how to get one."""
from __future__ import annotations

from typing import TYPE_CHECKING

from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message

from bot.commands import set_chat_menu
from keyboards.visit import main_menu
from domain.clock import Clock
from domain.policy import Policy
from domain.roles import Role
from handlers.texts import join, role_summary
from locales import Translator
from services import feedback, onboarding
from storage.repositories import Repos

if TYPE_CHECKING:  # names for annotations only: handlers do not touch the tables
    from storage.models import User

router = Router(name="start")


@router.message(CommandStart(deep_link=True))
async def start_with_invite(
    message: Message, command: CommandObject, bot: Bot, repos: Repos, user: User, clock: Clock, t: Translator,
    policy: Policy, zone: ZoneInfo,
) -> None:
    result = await onboarding.redeem(repos, clock, policy, zone, user, command.args or "")
    if result.wait_seconds:
        await message.answer(t("start.slow_down", seconds=result.wait_seconds))
        return
    if result.problem is not None:
        await message.answer(t(f"start.invite_{result.problem.value}"))
        return
    grant = result.grant
    grants = await repos.users.grants_of(user.id)
    roles = frozenset(Role(g.role) for g in grants)
    key = "start.already_bound" if result.already_held else "start.bound"
    text = t(key, name=grant.display_name, role=t(f"roles.{grant.role}"), subject=role_summary(t, grant))
    menu = main_menu(t) if Role.COMMISSIONER in roles else None
    await message.answer(f"{text}\n\n{t(f'roles.{grant.role}_can')}\n\n{t('start.more')}", reply_markup=menu)
    await set_chat_menu(bot, message.chat.id, roles, t.lang)
    if grant.role == Role.ENTERPRISE and not result.already_held:
        await feedback.ask_new_contact(repos, clock, policy, zone, user, grant.enterprise_id)


@router.message(CommandStart())
async def start_plain(message: Message, grants: list, roles: frozenset[Role], t: Translator) -> None:
    if not grants:
        await message.answer(t("start.stranger"))
        return
    names = join(t, sorted({g.display_name for g in grants}))
    menu = main_menu(t) if Role.COMMISSIONER in roles else None
    await message.answer(t("start.welcome_back", name=names) + "\n\n" + t("start.more"), reply_markup=menu)
