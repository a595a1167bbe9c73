"""Keyboards of the visit conversation. Every button carries the draft's key, so a button from an
older card (another draft) is recognised as stale instead of changing the current one."""
from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from domain.policy import Policy
from domain.visits import Mode, Step
from locales import Translator

if TYPE_CHECKING:  # a name for annotations only: keyboards know no tables
    from storage.models import Agreement

EDITABLE = (Step.ENTERPRISE, Step.KIND, Step.MODE, Step.DATE, Step.SUMMARY, Step.FILES, Step.LOCATION)


class VisitAction(CallbackData, prefix="v"):
    d: str  # draft key
    a: str  # action: ent kind mode date files ok edit field cancel back resume restart
    v: str = ""


class _Buttons:
    """Collects buttons, then lays them out in rows (InlineKeyboardBuilder deep-copies every
    button; this sits on the path of every step, so it builds the markup directly)."""

    def __init__(self) -> None:
        self.buttons: list[InlineKeyboardButton] = []

    def add(self, text: str, draft: str, action: str, value: object = "") -> None:
        data = VisitAction(d=draft, a=action, v=str(value)).pack()
        self.buttons.append(InlineKeyboardButton(text=text, callback_data=data))

    def rows(self, *widths: int) -> InlineKeyboardMarkup:
        """Rows of the given widths, the last width repeating (like InlineKeyboardBuilder.adjust)."""
        it, rows, widths = iter(self.buttons), [], widths or (1,)
        for i in range(len(self.buttons)):
            row = list(islice(it, widths[min(i, len(widths) - 1)]))
            if not row:
                break
            rows.append(row)
        return InlineKeyboardMarkup(inline_keyboard=rows)


def enterprises(t: Translator, draft: str, agreements: list[Agreement]) -> InlineKeyboardMarkup:
    b = _Buttons()
    for a in agreements:
        b.add(a.enterprise.name, draft, "ent", a.id)
    b.add(t("visit.button_cancel"), draft, "cancel")
    return b.rows(1)


def kinds(t: Translator, draft: str, policy: Policy) -> InlineKeyboardMarkup:
    b = _Buttons()
    for kind in policy.service_kinds:
        b.add(kind.text(t.lang), draft, "kind", kind.key)
    b.add(t("visit.button_cancel"), draft, "cancel")
    return b.rows(2)


def modes(t: Translator, draft: str) -> InlineKeyboardMarkup:
    b = _Buttons()
    for mode in Mode:
        b.add(t(f"visit.mode_{mode.value}"), draft, "mode", mode.value)
    b.add(t("visit.button_cancel"), draft, "cancel")
    return b.rows(2, 1)


def dates(t: Translator, draft: str, choices: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    b = _Buttons()
    for label, iso in choices:
        b.add(label, draft, "date", iso)
    b.add(t("visit.button_cancel"), draft, "cancel")
    return b.rows(3, 1)


def files_done(t: Translator, draft: str) -> InlineKeyboardMarkup:
    b = _Buttons()
    b.add(t("visit.button_files_done"), draft, "files")
    return b.rows()


def card(t: Translator, draft: str) -> InlineKeyboardMarkup:
    b = _Buttons()
    b.add(t("visit.button_confirm"), draft, "ok")
    b.add(t("visit.button_edit"), draft, "edit")
    b.add(t("visit.button_cancel"), draft, "cancel")
    return b.rows(1, 2)


def edit_fields(t: Translator, draft: str, on_site: bool) -> InlineKeyboardMarkup:
    b = _Buttons()
    for step in EDITABLE:
        if step is Step.LOCATION and not on_site:
            continue
        b.add(t(f"visit.field_{step.value}"), draft, "field", step.value)
    b.add(t("visit.button_back"), draft, "back")
    return b.rows(2)


def unfinished(t: Translator, draft: str) -> InlineKeyboardMarkup:
    b = _Buttons()
    b.add(t("visit.button_resume"), draft, "resume")
    b.add(t("visit.button_restart"), draft, "restart")
    return b.rows(2)


def location_request(t: Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=t("visit.button_send_location"), request_location=True)],
                  [KeyboardButton(text=t("visit.button_no_location"))]],
        resize_keyboard=True, one_time_keyboard=True,
    )


def main_menu(t: Translator) -> ReplyKeyboardMarkup:
    """The commissioner's standing menu: the visit button is always one tap away."""
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=t("menu.log_visit")), KeyboardButton(text=t("menu.my_visits"))]],
        resize_keyboard=True, is_persistent=True,
    )
