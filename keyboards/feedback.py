"""Buttons the enterprise answers with: confirm or dispute a visit, rate it, answer a survey."""
from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from domain.feedback import RATINGS
from keyboards.layout import button
from locales import Translator


class FeedbackAction(CallbackData, prefix="fb"):
    v: int  # visit id
    a: str  # ok (属实), no (不属实), rate, skip (no comment)
    n: int = 0  # the rating


class SurveyAction(CallbackData, prefix="sv"):
    s: int  # survey id
    q: int  # question index; -1: skip the comment
    n: int = 0


def confirm_or_dispute(t: Translator, visit_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        button(t("feedback.button_confirm"), FeedbackAction(v=visit_id, a="ok")),
        button(t("feedback.button_dispute"), FeedbackAction(v=visit_id, a="no")),
    ]])


def stars(visit_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        button(f"{n}⭐", FeedbackAction(v=visit_id, a="rate", n=n)) for n in RATINGS
    ]])


def skip_comment(t: Translator, visit_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[button(t("feedback.button_skip"),
                                                          FeedbackAction(v=visit_id, a="skip"))]])


def survey_scores(survey_id: int, index: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        button(str(n), SurveyAction(s=survey_id, q=index, n=n)) for n in RATINGS
    ]])


def survey_skip(t: Translator, survey_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[button(t("feedback.button_skip"),
                                                          SurveyAction(s=survey_id, q=-1))]])
