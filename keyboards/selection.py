"""Buttons of two-way selection, public notice, signing and renewal."""
from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from keyboards.layout import one, two
from locales import Translator


class NeedView(CallbackData, prefix="nv"):
    n: int  # need id
    a: str = "match"  # match: ranked candidates and the pairings so far


class Interest(CallbackData, prefix="ix"):
    n: int  # need id
    c: int  # commissioner id
    s: str  # the side choosing: c (the commissioner), e (the enterprise)


class PairingDecision(CallbackData, prefix="pd"):
    p: int  # pairing id
    a: str  # ok (confirm), no (reject)


class ObjectTo(CallbackData, prefix="ob"):
    p: int  # pairing id


class ObjectionDecision(CallbackData, prefix="od"):
    o: int  # objection id
    a: str  # up (upheld: the pairing is rejected), dis (dismissed: it goes on)


class Sign(CallbackData, prefix="sg"):
    p: int  # pairing id


class Renewal(CallbackData, prefix="rn"):
    g: int  # agreement id
    a: str  # yes, no


class PublicityExport(CallbackData, prefix="nx"):
    pass


def interest(t: Translator, need_id: int, commissioner_id: int, side: str) -> InlineKeyboardMarkup:
    return one(t(f"selection.button_interest_{side}"), Interest(n=need_id, c=commissioner_id, s=side))


def confirm_or_reject(t: Translator, pairing_id: int) -> InlineKeyboardMarkup:
    return two((t("selection.button_confirm"), PairingDecision(p=pairing_id, a="ok")),
               (t("selection.button_reject"), PairingDecision(p=pairing_id, a="no")))


def uphold_or_dismiss(t: Translator, objection_id: int) -> InlineKeyboardMarkup:
    return two((t("selection.button_uphold"), ObjectionDecision(o=objection_id, a="up")),
               (t("selection.button_dismiss"), ObjectionDecision(o=objection_id, a="dis")))


def sign(t: Translator, pairing_id: int) -> InlineKeyboardMarkup:
    return one(t("selection.button_sign"), Sign(p=pairing_id))


def renew_or_not(t: Translator, agreement_id: int) -> InlineKeyboardMarkup:
    return two((t("selection.button_renew"), Renewal(g=agreement_id, a="yes")),
               (t("selection.button_no_renew"), Renewal(g=agreement_id, a="no")))


def object_to(t: Translator, pairing_id: int) -> InlineKeyboardMarkup:
    return one(t("selection.button_object"), ObjectTo(p=pairing_id))
