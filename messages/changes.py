"""What Tepai tells people about change requests and disqualifications (queued in the outbox, in
the caller's transaction, like messages/notices.py)."""
from __future__ import annotations

from domain.policy import Policy
from keyboards import changes as kb
from locales import Translator
from messages.notices import Notices
from storage.models import Agreement, ChangeRequest, Commissioner, Disqualification, User


def agreement_line(t: Translator, a: Agreement) -> str:
    return t("change.agreement_line", commissioner=a.commissioner.name, code=a.commissioner.code,
             enterprise=a.enterprise.name, start=a.start_date, end=a.end_date)


def request_card(t: Translator, row: ChangeRequest, requester: str) -> str:
    """A change request as the bureau reads it: who, what, why."""
    text = t("change.card", id=row.id, kind=t(f"change.kind.{row.kind}"), requester=requester,
             party=t(f"roles.{row.requester_role}"), agreement=agreement_line(t, row.agreement), reason=row.reason)
    if row.detail:
        text += "\n" + t("change.card_detail", detail=row.detail)
    return text


async def ask_bureau(notices: Notices, admin: User, row: ChangeRequest, requester: str) -> bool:
    t = notices.t(admin)
    return await notices.queue(f"change-request:{row.id}:{admin.id}", admin,
                               t("change.notice_new") + "\n" + request_card(t, row, requester),
                               kb.approve_or_reject(t, row.id))


async def tell_decision(notices: Notices, user: User, row: ChangeRequest) -> bool:
    t = notices.t(user)
    text = t(f"change.notice_{row.status}", id=row.id, kind=t(f"change.kind.{row.kind}"),
             agreement=agreement_line(t, row.agreement))
    if row.status == "approved":
        text += "\n" + t(f"change.effect_{row.kind}", end=row.agreement.end_date)
    if row.decision_note:
        text += "\n" + t("change.note", note=row.decision_note)
    return await notices.queue(f"change-decided:{row.id}:{user.id}", user, text)


def reason_text(t: Translator, policy: Policy, key: str) -> str:
    """A disqualification reason in the reader's language, with its article."""
    reason = next((r for r in policy.disqualification.reasons if r.key == key), None)
    if reason is None:
        return key
    if not reason.article:
        return reason.text(t.lang)
    return t("disqualify.reason_label", reason=reason.text(t.lang), article=reason.article)


async def tell_disqualified(notices: Notices, user: User, commissioner: Commissioner, row: Disqualification) -> bool:
    t = notices.t(user)
    return await notices.queue(f"disqualified:{row.id}:{user.id}", user, t(
        "disqualify.notice", name=commissioner.name, code=commissioner.code,
        reason=reason_text(t, notices.policy, row.reason), until=row.barred_until,
        ended=len(row.agreements_ended)))
