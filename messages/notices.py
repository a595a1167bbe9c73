"""Messages Tepai starts (not replies): rendered in each recipient's language and queued in the
outbox, in the caller's transaction. The sender (scheduler/sender.py) delivers them."""
from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup

from domain.clock import Clock
from domain.policy import Policy
from keyboards import feedback as kb
from locales import Translator
from messages.outbox import Outgoing, enqueue
from storage.models import RoleGrant, Survey, User, Visit, VisitFeedback
from storage.repositories import Repos


def markup_json(markup: InlineKeyboardMarkup | None) -> dict | None:
    return markup.model_dump(mode="json", exclude_none=True) if markup is not None else None


def survey_question(t: Translator, policy: Policy, survey: Survey, index: int) -> tuple[str, InlineKeyboardMarkup]:
    questions = policy.survey.questions if policy.survey else ()
    text = t("feedback.survey_question", n=index + 1, total=len(questions), question=questions[index].text(t.lang))
    if index == 0:
        text = t("feedback.survey_intro", commissioner=survey.agreement.commissioner.name,
                 year=survey.period) + "\n\n" + text
    return text, kb.survey_scores(survey.id, index)


class Notices:
    def __init__(self, repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo,
                 default_language: str = "zh") -> None:
        self.repos, self.clock, self.policy, self.zone = repos, clock, policy, zone
        self.default_language = default_language

    def t(self, user: User) -> Translator:
        return Translator(user.language or self.default_language, markup=True)

    async def queue(self, key: str, user: User, text: str, markup: InlineKeyboardMarkup | None = None,
                    documents: tuple[dict, ...] = ()) -> bool:
        return await enqueue(self.repos, self.clock, self.policy, self.zone,
                             Outgoing(key, user, text, markup_json(markup), documents))

    async def tell(self, key: str, user: User, text: Callable[[Translator], str],
                   buttons: Callable[[Translator], InlineKeyboardMarkup] | None = None) -> bool:
        """Queue a message rendered in `user`'s language: `text` (and `buttons`) given the Translator."""
        t = self.t(user)
        return await self.queue(key, user, text(t), buttons(t) if buttons is not None else None)

    def kind(self, t: Translator, key: str) -> str:
        return next((k.text(t.lang) for k in self.policy.service_kinds if k.key == key), key)

    async def missing_attachment(self, admin: User, recipient: User | None, message_id: int, file_name: str,
                                 text_delivered: bool) -> bool:
        """An outbox message cannot go out: a file it attaches is gone from the data directory."""
        t = self.t(admin)
        name = (recipient.full_name or str(recipient.telegram_id)) if recipient else "?"
        return await self.queue(f"missing-file:{message_id}:{admin.id}", admin, t(
            "outbox.missing_file", id=message_id, name=name, file=file_name,
            delivered=t("outbox.missing_file_text_sent" if text_delivered else "outbox.missing_file_nothing_sent")))

    async def role_moved(self, old: User, grant: RoleGrant) -> bool:
        """Tell the account a role was taken from: a new phone is fine, anyone else is not."""
        t = self.t(old)
        text = t("start.role_moved", subject=t(f"roles.{grant.role}_of", subject=grant.subject_name))
        return await self.queue(f"role-moved:{grant.id}", old, text)

    async def visit_prompt(self, contact: User, visit: Visit, reminder: int = 0) -> bool:
        """Ask the enterprise's contact whether the visit happened (属实 / 不属实)."""
        t = self.t(contact)
        head = t("feedback.reminder", n=reminder) + "\n" if reminder else ""
        text = head + t("feedback.prompt", commissioner=visit.commissioner.name, date=visit.visit_date,
                        mode=t(f"visit.mode_{visit.mode}"), kind=self.kind(t, visit.kind), summary=visit.summary)
        return await self.queue(f"visit-prompt:{visit.id}:{contact.id}:{reminder}", contact, text,
                                kb.confirm_or_dispute(t, visit.id))

    async def dispute_alert(self, admin: User, visit: Visit, row: VisitFeedback) -> bool:
        t = self.t(admin)
        text = t("feedback.dispute_alert", id=visit.id, enterprise=visit.enterprise.name,
                 commissioner=visit.commissioner.name, code=visit.commissioner.code,
                 date=visit.visit_date, kind=self.kind(t, visit.kind),
                 reason=row.dispute_reason or "", proxy=t("feedback.by_proxy") if row.proxy_by_user_id else "")
        return await self.queue(f"dispute:{visit.id}:{admin.id}", admin, text)

    async def unanswered(self, commissioner: User, visit: Visit) -> bool:
        t = self.t(commissioner)
        return await self.queue(f"unanswered:{visit.id}:{commissioner.id}", commissioner,
                                t("feedback.unanswered_note", id=visit.id, enterprise=visit.enterprise.name,
                                  date=visit.visit_date))

    async def survey_start(self, contact: User, survey: Survey) -> bool:
        text, markup = survey_question(self.t(contact), self.policy, survey, 0)
        return await self.queue(f"survey:{survey.id}:{contact.id}", contact, text, markup)

    async def unreachable(self, admin: User, user: User) -> bool:
        """A county admin learns that a person blocked the bot (the sender got 403)."""
        t = self.t(admin)
        return await self.queue(f"unreachable:{user.id}:{admin.id}", admin,
                                t("outbox.unreachable", name=user.full_name or str(user.telegram_id)))
