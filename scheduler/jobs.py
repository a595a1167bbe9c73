"""APScheduler job functions: module-level, no arguments, registered by text reference
("scheduler.jobs:reminders_job") so the persistent job store keeps only their names. Each takes
the running scheduler's collaborators (`scheduler.runtime.current()`), opens a session and calls
the use cases; what to do and what to say is theirs."""
from __future__ import annotations

import logging

from scheduler import runtime
from services.digest_delivery import queue_monthly, queue_weekly
from services.feedback_tick import feedback_tick
from services.reminders import reminders_tick
from services.selection.tick import selection_tick
from storage.repositories import Repos

log = logging.getLogger(__name__)


async def reminders_job() -> None:
    """Everything Tepai says on its own initiative, queued in the outbox (sent by the sender)."""
    rt = runtime.current()
    await feedback_tick(rt.sessionmaker, rt.clock, rt.policy, rt.zone)
    async with rt.sessionmaker() as session:
        repos = Repos(session)
        counts = await reminders_tick(repos, rt.clock, rt.policy, rt.zone)
        counts |= await selection_tick(repos, rt.clock, rt.policy, rt.zone)
        await repos.commit()
    if any(counts.values()):
        log.info("reminders queued: %s", counts)


async def weekly_digest_job() -> None:
    """Monday morning: last week's digest to the bureau (everything) and county admins (theirs)."""
    rt = runtime.current()
    async with rt.sessionmaker() as session:
        repos = Repos(session)
        await queue_weekly(repos, rt.clock, rt.policy, rt.zone)
        await repos.commit()


async def monthly_digest_job() -> None:
    """The first of the month: last month's digest as a PDF for every admin."""
    rt = runtime.current()
    async with rt.sessionmaker() as session:
        repos = Repos(session)
        await queue_monthly(repos, rt.clock, rt.policy, rt.zone, rt.data_dir)
        await repos.commit()
