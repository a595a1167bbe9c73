"""/lang: Simplified Chinese (default) or English."""
from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.commands import set_chat_menu
from domain.roles import Role
from keyboards import LanguageChoice, language_keyboard
from locales import LANGUAGES, Translator

if TYPE_CHECKING:  # names for annotations only: handlers do not touch the tables
    from storage.models import User

router = Router(name="language")


@router.message(Command("lang"))
async def choose_language(message: Message, t: Translator) -> None:
    await message.answer(t("lang.choose"), reply_markup=language_keyboard())


@router.callback_query(LanguageChoice.filter(F.code.in_(LANGUAGES)))
async def set_language(query: CallbackQuery, callback_data: LanguageChoice, bot: Bot, user: User,
                       roles: frozenset[Role]) -> None:
    user.language = callback_data.code
    t = Translator(callback_data.code, markup=True)
    await query.answer(t("lang.set"))
    if query.message is not None:
        await query.message.edit_text(t("lang.set"))
        await set_chat_menu(bot, query.message.chat.id, roles, t.lang)
