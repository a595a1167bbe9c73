"""What Tepai asks and tells about the enterprise's word on a visit: the 属实 / 不属实 prompt and
its reminders, a dispute for the county, a prompt left unanswered, the yearly survey."""
from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from domain.policy import Policy
from keyboards import feedback as kb
from locales import Translator
from messages.notices import Notices
from storage.models import Survey, User, Visit, VisitFeedback


def survey_question(t: Translator, policy: Policy, survey: Survey, index: int) -> tuple[str, InlineKeyboardMarkup]:
    questions = policy.survey.questions if policy.survey else ()
    text = t("feedback.survey_question", n=index + 1, total=len(questions), question=questions[index].text(t.lang))
    if index == 0:
        text = t("feedback.survey_intro", commissioner=survey.agreement.commissioner.name,
                 year=survey.period) + "\n\n" + text
    return text, kb.survey_scores(survey.id, index)


async def visit_prompt(notices: Notices, contact: User, visit: Visit, reminder: int = 0) -> bool:
    """Ask the enterprise's contact whether the visit happened (属实 / 不属实)."""
    t = notices.t(contact)
    head = t("feedback.reminder", n=reminder) + "\n" if reminder else ""
    text = head + t("feedback.prompt", commissioner=visit.commissioner.name, date=visit.visit_date,
                    mode=t(f"visit.mode_{visit.mode}"), kind=notices.kind(t, visit.kind), summary=visit.summary)
    return await notices.queue(f"visit-prompt:{visit.id}:{contact.id}:{reminder}", contact, text,
                               kb.confirm_or_dispute(t, visit.id))


async def dispute_alert(notices: Notices, admin: User, visit: Visit, row: VisitFeedback) -> bool:
    t = notices.t(admin)
    text = t("feedback.dispute_alert", id=visit.id, enterprise=visit.enterprise.name,
             commissioner=visit.commissioner.name, code=visit.commissioner.code,
             date=visit.visit_date, kind=notices.kind(t, visit.kind),
             reason=row.dispute_reason or "", proxy=t("feedback.by_proxy") if row.proxy_by_user_id else "")
    return await notices.queue(f"dispute:{visit.id}:{admin.id}", admin, text)


async def unanswered(notices: Notices, commissioner: User, visit: Visit) -> bool:
    t = notices.t(commissioner)
    return await notices.queue(f"unanswered:{visit.id}:{commissioner.id}", commissioner,
                               t("feedback.unanswered_note", id=visit.id, enterprise=visit.enterprise.name,
                                 date=visit.visit_date))


async def survey_start(notices: Notices, contact: User, survey: Survey) -> bool:
    text, markup = survey_question(notices.t(contact), notices.policy, survey, 0)
    return await notices.queue(f"survey:{survey.id}:{contact.id}", contact, text, markup)
