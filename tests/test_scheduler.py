"""The scheduler runtime: job store URL, the single-scheduler lease, starting and stopping APScheduler
over the persistent job store, and the job functions, on SQLite and PostgreSQL."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from domain.roles import Role
from scheduler import jobs, runtime
from scheduler.runtime import LEASE, LEASE_TTL, Runtime, jobstore_url, sync_url
from storage.models import OutboxMessage, SchedulerLease
from testkit.worlds import ZHANG, build, invite, world  # noqa: F401 - fixtures

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def no_current_runtime(monkeypatch):
    """Every test starts and ends without a runtime set in this process."""
    monkeypatch.setattr(runtime, "_current", None)


def make(sessionmaker, clock, policy, database_url, holder: str) -> Runtime:
    return Runtime(sessionmaker=sessionmaker, clock=clock, policy=policy, zone=SHANGHAI,
                   database_url=database_url, holder=holder)


async def lease_row(sessionmaker) -> SchedulerLease | None:
    async with sessionmaker() as session:
        return await session.get(SchedulerLease, LEASE)


def ids(job_ids: Iterable[str]) -> list[str]:
    """The job ids, checked to be unique, restricted to the two this file is about (other jobs may exist)."""
    job_ids = list(job_ids)
    assert len(job_ids) == len(set(job_ids)), job_ids
    return sorted(i for i in job_ids if i in ("lease", "reminders"))


def stored_jobs(database_url: str) -> list[str]:
    engine = sa.create_engine(jobstore_url(database_url))
    try:
        with engine.connect() as conn:
            return ids(conn.execute(sa.text("SELECT id FROM apscheduler_jobs")).scalars())
    finally:
        engine.dispose()


# --- sync_url ----------------------------------------------------------------------------------

def test_sync_url_for_sqlite() -> None:
    assert sync_url("sqlite+aiosqlite:////var/lib/tepai/tepai.db") == "sqlite:////var/lib/tepai/tepai.db"
    assert sync_url("sqlite+aiosqlite:///relative.db") == "sqlite:///relative.db"


def test_sync_url_for_postgres_keeps_the_password() -> None:
    assert sync_url("postgresql+asyncpg://tepai:s3cret@db.example:5433/tepai") \
        == "postgresql+psycopg://tepai:s3cret@db.example:5433/tepai"
    assert sync_url("postgresql://tepai:p%40ss@localhost/tepai") == "postgresql+psycopg://tepai:p%40ss@localhost/tepai"


def test_jobs_live_beside_a_sqlite_database_and_inside_postgres() -> None:
    assert jobstore_url("sqlite+aiosqlite:////var/lib/tepai/tepai.db") == "sqlite:////var/lib/tepai/tepai-scheduler.db"
    assert jobstore_url("sqlite+aiosqlite:///data/tepai") == "sqlite:///data/tepai-scheduler.db"
    assert jobstore_url("postgresql+asyncpg://tepai:s3cret@db/tepai") == "postgresql+psycopg://tepai:s3cret@db/tepai"


def test_sync_url_refuses_other_databases() -> None:
    with pytest.raises(KeyError):
        sync_url("mysql+aiomysql://u:p@h/db")


def test_no_runtime_means_no_jobs() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        runtime.current()


# --- the lease -----------------------------------------------------------------------------------

async def test_lease_is_held_by_one_holder_until_it_expires(sessionmaker, clock, policy, database_url) -> None:
    first = make(sessionmaker, clock, policy, database_url, "host-a:1")
    second = make(sessionmaker, clock, policy, database_url, "host-b:2")
    assert await first.take_lease()
    row = await lease_row(sessionmaker)
    assert row.holder == "host-a:1"
    assert not await second.take_lease()
    clock.advance(LEASE_TTL - timedelta(seconds=1))
    assert not await second.take_lease()  # not yet expired
    assert (await lease_row(sessionmaker)).holder == "host-a:1"
    clock.advance(timedelta(seconds=2))  # now past the expiry
    assert await second.take_lease()
    assert (await lease_row(sessionmaker)).holder == "host-b:2"
    assert not await first.renew_lease()  # the first lost it


async def test_the_same_holder_renews(sessionmaker, clock, policy, database_url) -> None:
    rt = make(sessionmaker, clock, policy, database_url, "host-a:1")
    other = make(sessionmaker, clock, policy, database_url, "host-b:2")
    assert await rt.take_lease()
    for _ in range(5):  # renewed every 30 s: the lease never runs out, so nobody else gets it
        clock.advance(timedelta(seconds=30))
        assert await rt.renew_lease()
        assert not await other.take_lease()
    from domain.clock import as_utc

    assert as_utc((await lease_row(sessionmaker)).expires_at) == clock.now() + LEASE_TTL


async def test_release_frees_the_lease_for_others_only(sessionmaker, clock, policy, database_url) -> None:
    rt = make(sessionmaker, clock, policy, database_url, "host-a:1")
    other = make(sessionmaker, clock, policy, database_url, "host-b:2")
    assert await rt.take_lease()
    await other.release_lease()  # not its lease: nothing happens
    assert (await lease_row(sessionmaker)).holder == "host-a:1"
    await rt.release_lease()
    assert await lease_row(sessionmaker) is None
    assert await other.take_lease()


# --- starting and stopping ------------------------------------------------------------------------

async def test_start_runs_one_scheduler_with_two_jobs(sessionmaker, clock, policy, database_url) -> None:
    rt = make(sessionmaker, clock, policy, database_url, "host-a:1")
    other = make(sessionmaker, clock, policy, database_url, "host-b:2")
    try:
        assert await runtime.start(rt)
        assert runtime.current() is rt
        assert rt.scheduler is not None and rt.scheduler.running
        assert ids(job.id for job in rt.scheduler.get_jobs()) == ["lease", "reminders"]
        reminders = rt.scheduler.get_job("reminders")
        assert reminders.trigger.interval == runtime.REMINDERS_EVERY
        assert rt.scheduler.get_job("lease").trigger.interval == timedelta(seconds=30)
        assert not await runtime.start(other)  # the lease is held
        assert other.scheduler is None and runtime.current() is rt
    finally:
        await runtime.stop(rt)
    assert not rt.scheduler.running and rt.stopped.is_set()
    assert await lease_row(sessionmaker) is None  # released
    with pytest.raises(RuntimeError):
        runtime.current()
    assert stored_jobs(database_url) == ["lease", "reminders"]  # the job store persists them

    # A restart over the same job store replaces the jobs: still one of each.
    again = make(sessionmaker, clock, policy, database_url, "host-b:2")
    try:
        assert await runtime.start(again)
        assert ids(job.id for job in again.scheduler.get_jobs()) == ["lease", "reminders"]
    finally:
        await runtime.stop(again)
    assert stored_jobs(database_url) == ["lease", "reminders"]


async def test_scheduler_starts_while_a_bot_transaction_holds_a_write(sessionmaker, clock, policy,
                                                                     database_url) -> None:
    """The bot's pruning task may be mid-write when the scheduler starts. The job store's blocking
    writes run on the event loop's thread, so they must not wait for a lock the awaiting bot holds
    (on one SQLite file they did: "database is locked" after the busy timeout)."""
    rt = make(sessionmaker, clock, policy, database_url, "host-a:1")
    assert await rt.take_lease()

    async def already_taken() -> bool:
        return True

    rt.take_lease = already_taken
    try:
        async with sessionmaker() as session, session.begin():
            session.add(SchedulerLease(name="held-by-the-bot", holder="bot", expires_at=clock.now()))
            await session.flush()  # the write lock is held until this block ends
            assert await runtime.start(rt)
    finally:
        await runtime.stop(rt)
    assert stored_jobs(database_url) == ["lease", "reminders"]


async def test_lease_job_stops_scheduling_when_the_lease_is_lost(sessionmaker, clock, policy, database_url,
                                                                 monkeypatch) -> None:
    rt = make(sessionmaker, clock, policy, database_url, "host-a:1")
    monkeypatch.setattr(runtime, "_current", rt)
    assert await rt.take_lease()
    clock.advance(timedelta(seconds=30))
    await jobs.lease_job()
    assert not rt.stopped.is_set()
    clock.advance(LEASE_TTL + timedelta(seconds=1))  # this process stalled; another took over
    assert await make(sessionmaker, clock, policy, database_url, "host-b:2").take_lease()
    await jobs.lease_job()
    assert rt.stopped.is_set()


# --- the reminders job ----------------------------------------------------------------------------

async def test_reminders_job_queues_what_is_due(world, sessionmaker, clock, policy, database_url,  # noqa: F811
                                                monkeypatch) -> None:
    h = build(world, policy, clock)
    await h.send(ZHANG, f"/start {await invite(world[0], clock, Role.COMMISSIONER, 'C001')}")
    rt = make(sessionmaker, clock, policy, database_url, "host-a:1")
    monkeypatch.setattr(runtime, "_current", rt)

    async def keys() -> list[str]:
        async with sessionmaker() as session:
            return list((await session.scalars(select(OutboxMessage.key).order_by(OutboxMessage.id))).all())

    await jobs.reminders_job()  # 16 March: nothing due
    assert await keys() == []
    clock.set(datetime(2026, 3, 26, 10, 0, tzinfo=SHANGHAI))  # the 2026-Q1 window opens
    await jobs.reminders_job()
    await jobs.reminders_job()  # twice: still one message
    [key] = await keys()
    assert key.startswith("report-reminder:") and ":quarterly:2026-Q1:open:" in key
    assert await h.drain() == 1


async def test_reminders_job_needs_the_runtime() -> None:
    with pytest.raises(RuntimeError):
        await jobs.reminders_job()
