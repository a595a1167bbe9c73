"""Inline buttons from callback data, laid out the usual ways; the feature keyboards build on these."""
from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def one(text: str, data: CallbackData) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[button(text, data)]])


def two(first: tuple[str, CallbackData], second: tuple[str, CallbackData]) -> InlineKeyboardMarkup:
    """Two buttons side by side (a decision: yes or no)."""
    return InlineKeyboardMarkup(inline_keyboard=[[button(*first), button(*second)]])


def column(buttons: list[tuple[str, CallbackData]]) -> InlineKeyboardMarkup:
    """One button a row (a choice among several)."""
    return InlineKeyboardMarkup(inline_keyboard=[[button(text, data)] for text, data in buttons])
