"""Buttons of /profile: pick which commissioner, edit a field, answer with the default, cancel, done."""
from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from domain.expertise import PROFILE_FIELDS
from keyboards.layout import column
from locales import Translator


class ProfileStep(CallbackData, prefix="pf"):
    a: str  # pick (which commissioner), edit, default (capacity back to the policy's), cancel, done
    c: int  # commissioner id
    v: str = ""  # the field to edit


def choose(choices: list[tuple[str, int]]) -> InlineKeyboardMarkup:
    """One button per commissioner the person holds: (label, commissioner id)."""
    return column([(label, ProfileStep(a="pick", c=c)) for label, c in choices])


def card(t: Translator, commissioner_id: int, editable: bool = True) -> InlineKeyboardMarkup:
    rows = [(t(f"profile.button_edit.{f}"), ProfileStep(a="edit", c=commissioner_id, v=f))
            for f in PROFILE_FIELDS] if editable else []
    return column([*rows, (t("profile.button_done"), ProfileStep(a="done", c=commissioner_id))])


def question(t: Translator, commissioner_id: int, default: int | None = None) -> InlineKeyboardMarkup:
    """Under a question: the policy's default (for the capacity) and cancel."""
    rows = [] if default is None else [(t("profile.button_default", n=default),
                                        ProfileStep(a="default", c=commissioner_id))]
    return column([*rows, (t("profile.button_cancel"), ProfileStep(a="cancel", c=commissioner_id))])
