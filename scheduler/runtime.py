"""The running scheduler: its collaborators for the job functions, its jobs (registered by text
reference, so this module imports none of them), and serving them under the scheduler lease
(scheduler/lease.py).

Exactly one scheduler may run (APScheduler 3.x must not share a job store between two running
schedulers), and the outbox sender runs beside it: `serve` runs both while this process holds the
lease and stops both the moment it is lost; meanwhile it keeps trying to take the lease.
"""
from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock
from domain.policy import Policy
from scheduler.lease import Lease
from scheduler.sender import OutboxSender
from storage.db import create_sync_engine

REMINDERS_EVERY = timedelta(minutes=15)
# The job functions, named (not imported): they import this module for their collaborators.
JOBS = "scheduler.jobs"

_current: Runtime | None = None


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("the scheduler is not running in this process")
    return _current


def sync_url(async_url: str) -> str:
    """The job store's (synchronous) URL for our database."""
    url = make_url(async_url)
    driver = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}[url.get_backend_name()]
    return url.set(drivername=driver).render_as_string(hide_password=False)


def jobstore_url(async_url: str) -> str:
    """Where APScheduler keeps its jobs. On PostgreSQL: our database. On SQLite: a file beside it,
    because the job store writes synchronously on the event loop's thread, and SQLite locks the whole
    file: a bot transaction awaiting the loop held the lock the job store waited for, and both stopped
    ("database is locked" at start-up)."""
    url = make_url(sync_url(async_url))
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return url.render_as_string(hide_password=False)
    path = Path(url.database)
    return url.set(database=str(path.with_name(f"{path.stem}-scheduler{path.suffix or '.db'}"))).render_as_string()


@dataclass
class Runtime:
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    policy: Policy
    zone: ZoneInfo
    database_url: str
    data_dir: Path = Path("data")
    scheduler: AsyncIOScheduler | None = None


async def start(rt: Runtime) -> None:
    """Start APScheduler over the persistent job store (the caller holds the lease)."""
    global _current
    scheduler = AsyncIOScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=create_sync_engine(jobstore_url(rt.database_url)),
                                                    tablename="apscheduler_jobs")},
        job_defaults={"coalesce": True, "max_instances": 1,
                      # after downtime, run once (coalesced) if the run is less than an hour late
                      "misfire_grace_time": 3600},
        timezone=rt.zone,
    )
    scheduler.add_job(f"{JOBS}:reminders_job", "interval", seconds=REMINDERS_EVERY.total_seconds(),
                      id="reminders", replace_existing=True, next_run_time=rt.clock.now())
    scheduler.add_job(f"{JOBS}:weekly_digest_job", "cron", day_of_week="mon", hour=9, id="digest-weekly",
                      replace_existing=True)
    scheduler.add_job(f"{JOBS}:monthly_digest_job", "cron", day=1, hour=9, minute=30, id="digest-monthly",
                      replace_existing=True)
    scheduler.start()
    # Older versions renewed the lease from an APScheduler job; the lease keeps itself now.
    with contextlib.suppress(JobLookupError):
        scheduler.remove_job("lease")
    rt.scheduler = scheduler
    _current = rt


async def stop(rt: Runtime) -> None:
    global _current
    if rt.scheduler is not None and rt.scheduler.running:
        rt.scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler shuts down in the loop's next round
    if _current is rt:
        _current = None


async def serve(rt: Runtime, lease: Lease, sender: OutboxSender, until: asyncio.Event | None = None) -> None:
    """Until `until` is set (forever without it): schedule and send while this process holds the
    lease, stand by while another does. Once set, the sender finishes its batch and the lease is
    released."""

    async def while_held() -> None:
        await start(rt)
        try:
            await sender.run_forever(until=until)
        finally:
            await stop(rt)

    await lease.keep(while_held, until)
