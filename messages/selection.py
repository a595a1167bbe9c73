"""What Tepai tells people during two-way selection, publicity (公示), signing and renewal (queued in
the outbox, in the caller's transaction, like messages/notices.py). Keys make each message once."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiogram.types import InlineKeyboardMarkup

from domain.matching import Candidate, Match
from keyboards import selection as kb
from locales import Translator
from messages.needs import need_card
from messages.notices import Notices
from storage.models import Agreement, Need, Objection, Pairing, User


def need_line(t: Translator, need: Need) -> str:
    return t("selection.need_line", id=need.id, enterprise=need.enterprise.name, field=need.field)


def pairing_line(t: Translator, p: Pairing) -> str:
    return t("selection.pairing_line", id=p.id, commissioner=p.commissioner.name, code=p.commissioner.code,
             enterprise=p.need.enterprise.name, field=p.need.field)


def match_reasons(t: Translator, m: Match) -> str:
    """Why a candidate is proposed: shared terms, county, load; applicants are marked."""
    parts = [t("selection.reason_terms", terms="、".join(m.shared[:6]))]
    if m.same_county:
        parts.append(t("selection.reason_county"))
    parts.append(t("selection.reason_full" if m.full else "selection.reason_load",
                   load=m.candidate.load, capacity=m.candidate.capacity))
    if m.candidate.applicant:
        parts.append(t("selection.reason_applicant"))
    return t("selection.reasons_join").join(parts)


def publicity_period_text(t: Translator, p: Pairing) -> str:
    return t("selection.period", start=p.notice_start, end=p.notice_end)


def publicity_entry(t: Translator, p: Pairing) -> str:
    """A pairing on the publicity list (公示): who with whom, the period, in publicity or held."""
    return t("selection.notice_entry", pairing=pairing_line(t, p), period=publicity_period_text(t, p),
             status=t(f"selection.status_{p.status}"))


def agreement_text(t: Translator, a: Agreement) -> str:
    return t("selection.agreement_line", commissioner=a.commissioner.name, code=a.commissioner.code,
             enterprise=a.enterprise.name, start=a.start_date, end=a.end_date)


async def suggest_need(notices: Notices, account: User, need: Need, commissioner_id: int, m: Match) -> bool:
    return await notices.tell(
        f"need-suggest:{need.id}:{account.id}", account,
        lambda t: t("selection.notice_need_fits", card=need_card(t, need), reasons=match_reasons(t, m)),
        lambda t: kb.interest(t, need.id, commissioner_id, "c"))


async def ask_enterprise(notices: Notices, contact: User, p: Pairing) -> bool:
    """A commissioner chose this need: the enterprise may choose them back."""
    return await notices.tell(
        f"interest-e:{p.id}:{contact.id}", contact,
        lambda t: t("selection.notice_commissioner_interested", commissioner=p.commissioner.name,
                    title=p.commissioner.title or "", expertise=p.commissioner.expertise or "",
                    need=need_line(t, p.need)),
        lambda t: kb.interest(t, p.need_id, p.commissioner_id, "e"))


async def ask_commissioner(notices: Notices, account: User, p: Pairing) -> bool:
    """The enterprise chose this commissioner: they may choose the need back."""
    return await notices.tell(
        f"interest-c:{p.id}:{account.id}", account,
        lambda t: t("selection.notice_enterprise_interested", need=need_line(t, p.need),
                    description=p.need.description, expected=p.need.expected_help or "—"),
        lambda t: kb.interest(t, p.need_id, p.commissioner_id, "c"))


def ready_card(t: Translator, p: Pairing, candidate: Candidate | None) -> str:
    """A pairing for the bureau to confirm, with how many enterprises the commissioner already serves."""
    if candidate is None:
        return t("selection.ready_card_ineligible", pairing=pairing_line(t, p))
    full = candidate.load >= candidate.capacity
    return t("selection.ready_card_full" if full else "selection.ready_card", pairing=pairing_line(t, p),
             load=candidate.load, capacity=candidate.capacity)


async def ask_bureau(notices: Notices, admin: User, p: Pairing, candidate: Candidate | None) -> bool:
    return await notices.tell(f"pairing-ready:{p.id}:{admin.id}", admin,
                              lambda t: t("selection.notice_ready", pairing=ready_card(t, p, candidate)),
                              lambda t: kb.confirm_or_reject(t, p.id))


async def ask_to_sign(notices: Notices, user: User, p: Pairing, party: str) -> bool:
    return await notices.tell(
        f"pairing-sign:{p.id}:{party}:{user.id}", user,
        lambda t: t("selection.notice_sign", pairing=pairing_line(t, p), party=t(f"selection.party_{party}"),
                    targets=p.need.expected_help or "—", months=notices.policy.selection.term_months),
        lambda t: kb.sign(t, p.id))


async def ask_bureau_objection(notices: Notices, admin: User, o: Objection, objector: str) -> bool:
    return await notices.tell(
        f"objection:{o.id}:{admin.id}", admin,
        lambda t: t("selection.notice_objection", id=o.id, pairing=pairing_line(t, o.pairing), objector=objector,
                    reason=o.reason),
        lambda t: kb.uphold_or_dismiss(t, o.id))


async def offer_renewal(notices: Notices, user: User, a: Agreement) -> bool:
    return await notices.tell(
        f"renewal-offer:{a.id}:{user.id}", user,
        lambda t: t("selection.notice_renewal", agreement=agreement_text(t, a),
                    months=notices.policy.selection.term_months),
        lambda t: kb.renew_or_not(t, a.id))


async def tell_renewal(notices: Notices, user: User, old: Agreement, answer: str, by: str,
                       new: Agreement | None = None) -> bool:
    """answer: renewed (both said yes), declined (one said no)."""
    return await notices.tell(
        f"renewal-{answer}:{old.id}:{user.id}", user,
        lambda t: t(f"selection.notice_renewal_{answer}", agreement=agreement_text(t, old), by=by,
                    new=agreement_text(t, new) if new is not None else ""))


@dataclass(frozen=True)
class Tell:
    """A message about one row to one person, queued once under `{kind}:{row id}:{person id}`:
    the text `text_key` (or the key made from the row) with `values(t, row)`, and `buttons(t, row)`."""

    kind: str
    text_key: str | Callable[[Any], str]
    values: Callable[[Translator, Any], dict[str, object]]
    buttons: Callable[[Translator, Any], InlineKeyboardMarkup] | None = None

    async def __call__(self, notices: Notices, user: User, row: Any) -> bool:  # noqa: ANN401 - any row with an id
        key = self.text_key if isinstance(self.text_key, str) else self.text_key(row)
        buttons = self.buttons
        return await notices.tell(f"{self.kind}:{row.id}:{user.id}", user, lambda t: t(key, **self.values(t, row)),
                                  (lambda t: buttons(t, row)) if buttons is not None else None)


announce_publicity = Tell(  # the pairing is published for objections (公示)
    "pairing-notice", "selection.notice_published",
    lambda t, p: {"pairing": pairing_line(t, p), "period": publicity_period_text(t, p)},
    lambda t, p: kb.object_to(t, p.id))
tell_rejected = Tell("pairing-rejected", "selection.notice_rejected", lambda t, p: {"pairing": pairing_line(t, p)})
tell_agreed = Tell("agreement-started", "selection.notice_agreed", lambda t, a: {"agreement": agreement_text(t, a)})
tell_objection_decided = Tell("objection-decided", lambda o: f"selection.notice_objection_{o.decision}",
                              lambda t, o: {"id": o.id, "pairing": pairing_line(t, o.pairing)})
