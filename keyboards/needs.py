"""Buttons of /need (an enterprise files a technical need) and /needs (its own list, to withdraw)."""
from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from domain.needs import EDITABLE
from domain.selection import URGENCIES
from keyboards.layout import button, column
from keyboards.selection import NeedView
from locales import Translator


class NeedStep(CallbackData, prefix="nd"):
    k: str  # the draft key: a button of an earlier draft is stale
    a: str  # ent (enterprise), urg (urgency), files (done/skip), submit, edit, redo (a part), cancel
    v: str = ""


class NeedClose(CallbackData, prefix="nc"):
    n: int  # need id


def enterprises(key: str, choices: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    return column([(name, NeedStep(k=key, a="ent", v=str(ident))) for ident, name in choices])


def urgency(t: Translator, key: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        button(t(f"need.urgency_button.{u}"), NeedStep(k=key, a="urg", v=u)) for u in URGENCIES]])


def files_done(t: Translator, key: str, count: int) -> InlineKeyboardMarkup:
    label = t("need.button_files_done") if count else t("need.button_files_skip")
    return column([(label, NeedStep(k=key, a="files"))])


def card(t: Translator, key: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(t("need.button_submit"), NeedStep(k=key, a="submit"))],
        [button(t("need.button_edit"), NeedStep(k=key, a="edit")),
         button(t("need.button_cancel"), NeedStep(k=key, a="cancel"))],
    ])


def parts(t: Translator, key: str) -> InlineKeyboardMarkup:
    """Which part of the draft to answer again."""
    return column([(t(f"need.part.{p}"), NeedStep(k=key, a="redo", v=p)) for p in EDITABLE])


def open_need_actions(t: Translator, need_ids: list[int]) -> InlineKeyboardMarkup | None:
    """Per open need: its ranked candidates (to choose from, 双向选择) and withdrawing it."""
    if not need_ids:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[
        [button(t("need.button_candidates", id=n), NeedView(n=n)), button(t("need.button_close", id=n), NeedClose(n=n))]
        for n in need_ids])
