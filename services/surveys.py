"""Satisfaction surveys: one per active agreement and year, a few 1–5 questions and a comment."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from domain.clock import Clock, local_today
from domain.feedback import RATINGS
from domain.policy import Policy
from services.feedback import MAX_TEXT, FeedbackError, Responder
from storage.models import Survey
from storage.repositories import Repos


async def open_due(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo) -> list[Survey]:
    """Surveys to send now: from the policy's month on, each active agreement once a year."""
    if policy.survey is None:
        return []
    today = local_today(clock, zone)
    if today.month < policy.survey.month:
        return []
    period = str(today.year)
    done = await repos.feedback.surveyed_agreements(period)
    new = [Survey(agreement=a, period=period, sent_at=clock.now(), answers={})
           for a in await repos.feedback.active_agreements(today)
           if a.id not in done and a.commissioner.status == "active"]
    for survey in new:
        repos.feedback.add(survey)
    await repos.feedback.flush()
    return new


async def _load(repos: Repos, survey_id: int, responder: Responder) -> Survey:
    survey = await repos.feedback.survey(survey_id)
    if survey is None:
        raise FeedbackError("no_survey")
    if survey.agreement.enterprise_id not in responder.enterprise_ids:
        raise FeedbackError("not_yours")
    if survey.answered_at is not None:
        raise FeedbackError("survey_done")
    return survey


async def answer(repos: Repos, clock: Clock, policy: Policy, *, survey_id: int, index: int, score: int,
                 responder: Responder) -> tuple[Survey, int | None]:
    """Record one answer; returns the survey and the index of the next open question (or None)."""
    survey = await _load(repos, survey_id, responder)
    questions = policy.survey.questions if policy.survey else ()
    if not 0 <= index < len(questions) or score not in RATINGS:
        raise FeedbackError("bad_score")
    key = questions[index].key
    if key in survey.answers:
        raise FeedbackError("already_answered")
    survey.answers = {**survey.answers, key: score}
    open_ = [i for i, q in enumerate(questions) if q.key not in survey.answers]
    return survey, (open_[0] if open_ else None)


async def finish(repos: Repos, clock: Clock, *, survey_id: int, responder: Responder,
                 comment: str | None) -> Survey:
    survey = await _load(repos, survey_id, responder)
    survey.comment = (comment or "").strip()[:MAX_TEXT] or None
    survey.answered_at = clock.now()
    survey.answered_by_user_id = None if responder.proxy else responder.user_id
    survey.proxy_by_user_id = responder.user_id if responder.proxy else None
    repos.audit.record(clock.now(), responder.actor, "survey.answer", "survey", survey.id,
                       answers=survey.answers, proxy=responder.proxy)
    return survey
