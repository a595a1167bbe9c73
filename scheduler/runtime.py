"""The running scheduler: its collaborators for the job functions, its lease, its jobs (registered
by text reference, so this module imports none of them).

Exactly one scheduler may run (APScheduler 3.x must not share a job store between two running
schedulers): a lease row in the database says which process it is, renewed every 30 s.
"""
from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock
from domain.policy import Policy
from storage.db import create_sync_engine
from storage.repositories import Repos

LEASE = "scheduler"
LEASE_TTL = timedelta(seconds=90)
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
    holder: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    scheduler: AsyncIOScheduler | None = None
    stopped: asyncio.Event = field(default_factory=asyncio.Event)

    async def take_lease(self) -> bool:
        now = self.clock.now()
        async with self.sessionmaker() as session:
            repos = Repos(session)
            taken = await repos.lease.take(LEASE, self.holder, now, now + LEASE_TTL)
            await repos.commit()
        return taken

    async def renew_lease(self) -> bool:
        return await self.take_lease()

    async def release_lease(self) -> None:
        async with self.sessionmaker() as session:
            repos = Repos(session)
            await repos.lease.release(LEASE, self.holder)
            await repos.commit()

    def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.stopped.set()


async def start(rt: Runtime) -> bool:
    """Start scheduling in this process if no other process does; False if one does."""
    global _current
    if not await rt.take_lease():
        return False
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
    scheduler.add_job(f"{JOBS}:lease_job", "interval", seconds=30, id="lease", replace_existing=True)
    scheduler.add_job(f"{JOBS}:weekly_digest_job", "cron", day_of_week="mon", hour=9, id="digest-weekly",
                      replace_existing=True)
    scheduler.add_job(f"{JOBS}:monthly_digest_job", "cron", day=1, hour=9, minute=30, id="digest-monthly",
                      replace_existing=True)
    scheduler.start()
    rt.scheduler = scheduler
    _current = rt
    return True


async def stop(rt: Runtime) -> None:
    global _current
    rt.stop()
    await rt.release_lease()
    _current = None
