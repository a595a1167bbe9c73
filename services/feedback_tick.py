"""Periodic work on the enterprises' answers: reminders, closing unanswered prompts, surveys.

The tick takes plain collaborators and opens its own session; scheduler.jobs.reminders_job runs
it every 15 minutes.
"""
from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock
from domain.policy import Policy
from messages import feedback as say
from messages.notices import Notices
from messages.recipients import commissioner_accounts, enterprise_contacts
from services import feedback, surveys
from storage.repositories import Repos

log = logging.getLogger(__name__)


async def feedback_tick(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, policy: Policy,
                        zone: ZoneInfo) -> dict[str, int]:
    """Record what is due and queue its messages in one transaction: a tick that runs twice finds
    nothing new to do, and the outbox keys keep every message single."""
    async with sessionmaker() as session:
        repos = Repos(session)
        notices = Notices(repos, clock, policy, zone)
        due = await feedback.apply_due(repos, clock, policy)
        new_surveys = await surveys.open_due(repos, clock, policy, zone)
        for row in due.remind:
            if row.visit.commissioner.status != "active":  # disqualified: no more prompts
                continue
            for contact in await enterprise_contacts(repos, row.enterprise_id):
                await say.visit_prompt(notices, contact, row.visit, reminder=row.reminders_sent)
        for row in due.expired:
            if row.visit.commissioner.status != "active":
                continue
            for user in await commissioner_accounts(repos, row.visit.commissioner_id):
                await say.unanswered(notices, user, row.visit)
        for survey in new_surveys:
            for contact in await enterprise_contacts(repos, survey.agreement.enterprise_id):
                await say.survey_start(notices, contact, survey)
        await repos.commit()
    counts = {"reminded": len(due.remind), "unanswered": len(due.expired), "surveys": len(new_surveys)}
    if any(counts.values()):
        log.info("feedback: %s", counts)
    return counts
