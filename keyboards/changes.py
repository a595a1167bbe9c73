"""Buttons of change requests and disqualification: the bureau decides, the requester submits."""
from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from keyboards.layout import button
from locales import Translator


class ChangeDecision(CallbackData, prefix="cd"):
    r: int  # change request id
    a: str  # ok (approve), no (reject)


class ChangeStep(CallbackData, prefix="cr"):
    a: str  # agr (pick the agreement), kind, submit, cancel
    v: str = ""


class DisqualifyStep(CallbackData, prefix="dq"):
    c: int  # commissioner id
    a: str  # why (a reason picked), go (confirmed), stop
    v: str = ""  # the reason key


def approve_or_reject(t: Translator, request_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        button(t("change.button_approve"), ChangeDecision(r=request_id, a="ok")),
        button(t("change.button_reject"), ChangeDecision(r=request_id, a="no")),
    ]])


def submit_or_cancel(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        button(t("change.button_submit"), ChangeStep(a="submit")),
        button(t("change.button_cancel"), ChangeStep(a="cancel")),
    ]])


def confirm_disqualify(t: Translator, commissioner_id: int, reason: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        button(t("disqualify.button_confirm"), DisqualifyStep(c=commissioner_id, a="go", v=reason)),
        button(t("disqualify.button_stop"), DisqualifyStep(c=commissioner_id, a="stop")),
    ]])
