"""Inline keyboards and their callback data (short prefixes: callback data is at most 64 bytes)."""
from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from locales import LANGUAGES, Translator


class LanguageChoice(CallbackData, prefix="lang"):
    code: str


def language_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code in LANGUAGES:
        builder.button(text=Translator(code)("lang.name"), callback_data=LanguageChoice(code=code))
    return builder.as_markup()
