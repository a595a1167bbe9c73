"""The scheduler runtime: job store URL, the single-scheduler lease (taken, kept, lost, taken over),
starting and stopping APScheduler over the persistent job store, and the job functions, on SQLite
and PostgreSQL."""
from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.factory import create_bot
from domain.clock import as_utc
from domain.roles import Role
from messages.outbox import Outgoing, enqueue
from scheduler import jobs, runtime
from scheduler.lease import LEASE_TTL, SCHEDULER_LEASE, Lease, LeaseStatus, process_name
from scheduler.runtime import Runtime, jobstore_url, sync_url
from scheduler.sender import OutboxSender
from storage.models import OutboxMessage, SchedulerLease, User
from storage.repositories import Repos
from testkit.botkit import BOT_TOKEN
from testkit.fakes.rate_limited_api import RateLimitedBotApi
from testkit.worlds import ZHANG, build, invite, world  # noqa: F401 - fixtures

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def no_current_runtime(monkeypatch):
    """Every test starts and ends without a runtime set in this process."""
    monkeypatch.setattr(runtime, "_current", None)


def make(sessionmaker, clock, policy, database_url) -> Runtime:
    return Runtime(sessionmaker=sessionmaker, clock=clock, policy=policy, zone=SHANGHAI, database_url=database_url)


def lease(sessionmaker, clock, holder: str, renew_every: float = 30.0) -> Lease:
    return Lease(sessionmaker, clock, holder=holder, ttl=LEASE_TTL, renew_every=timedelta(seconds=renew_every))


async def lease_row(sessionmaker) -> SchedulerLease | None:
    async with sessionmaker() as session:
        return await session.get(SchedulerLease, SCHEDULER_LEASE)


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

async def test_lease_is_held_by_one_holder_until_it_expires(sessionmaker, clock) -> None:
    first = lease(sessionmaker, clock, "host-a:1")
    second = lease(sessionmaker, clock, "host-b:2")
    assert await first.take()
    row = await lease_row(sessionmaker)
    assert row.holder == "host-a:1"
    assert not await second.take()
    clock.advance(LEASE_TTL - timedelta(seconds=1))
    assert not await second.take()  # not yet expired
    assert (await lease_row(sessionmaker)).holder == "host-a:1"
    clock.advance(timedelta(seconds=2))  # now past the expiry
    assert await second.take()
    assert (await lease_row(sessionmaker)).holder == "host-b:2"
    assert not await first.take()  # the first lost it


async def test_the_same_holder_renews(sessionmaker, clock) -> None:
    held = lease(sessionmaker, clock, "host-a:1")
    other = lease(sessionmaker, clock, "host-b:2")
    assert await held.take()
    for _ in range(5):  # renewed every 30 s: the lease never runs out, so nobody else gets it
        clock.advance(timedelta(seconds=30))
        assert await held.take()
        assert not await other.take()
    assert as_utc((await lease_row(sessionmaker)).expires_at) == clock.now() + LEASE_TTL


async def test_release_frees_the_lease_for_others_only(sessionmaker, clock) -> None:
    held = lease(sessionmaker, clock, "host-a:1")
    other = lease(sessionmaker, clock, "host-b:2")
    assert await held.take()
    await other.release()  # not its lease: nothing happens
    assert (await lease_row(sessionmaker)).holder == "host-a:1"
    await held.release()
    assert await lease_row(sessionmaker) is None
    assert await other.take()


async def test_each_process_start_is_its_own_holder(sessionmaker, clock) -> None:
    """A restarted process (same host, perhaps the same pid in a container) is not its predecessor."""
    assert process_name() != process_name()
    assert Lease(sessionmaker, clock).holder != Lease(sessionmaker, clock).holder


async def test_status_says_who_holds_the_lease(sessionmaker, clock) -> None:
    held = lease(sessionmaker, clock, "host-a:1")
    other = lease(sessionmaker, clock, "host-b:2")
    assert await other.status() == LeaseStatus(SCHEDULER_LEASE, None, None, live=False, mine=False)
    assert await held.take()
    mine, theirs = await held.status(), await other.status()
    assert (mine.holder, mine.live, mine.mine) == ("host-a:1", True, True)
    assert (theirs.holder, theirs.live, theirs.mine) == ("host-a:1", True, False)
    assert theirs.expires_at == clock.now() + LEASE_TTL
    clock.advance(LEASE_TTL + timedelta(seconds=1))  # the holder stopped renewing
    lapsed = await held.status()
    assert (lapsed.holder, lapsed.live, lapsed.mine) == ("host-a:1", False, False)


# --- keeping the lease: standing by, taking over, stopping ----------------------------------------

async def wait_until(predicate, timeout: float = 10.0) -> None:  # noqa: ANN001
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.01)
    await asyncio.wait_for(poll(), timeout)


class Work:
    """What a lease guards, as a task: counts its starts and whether it is running."""

    def __init__(self) -> None:
        self.starts = 0
        self.running = False

    async def __call__(self) -> None:
        self.starts += 1
        self.running = True
        try:
            await asyncio.Event().wait()
        finally:
            self.running = False


async def test_a_standby_process_takes_over_when_the_lease_lapses(sessionmaker, clock) -> None:
    """The holder died without releasing (kill -9): the other process kept trying, and takes over
    once the lease lapses; until then it does not run."""
    dead = lease(sessionmaker, clock, "host-a:1")
    assert await dead.take()
    standby, work = lease(sessionmaker, clock, "host-b:2", renew_every=0.02), Work()
    keeper = asyncio.create_task(standby.keep(work))
    try:
        await asyncio.sleep(0.2)  # ten tries
        assert work.starts == 0 and not (await standby.status()).mine
        clock.advance(LEASE_TTL + timedelta(seconds=1))
        await wait_until(lambda: work.running)
        assert (await standby.status()).mine and work.starts == 1
    finally:
        keeper.cancel()
        with pytest.raises(asyncio.CancelledError):
            await keeper
    assert not work.running
    assert await lease_row(sessionmaker) is None  # released on the way out: a restart takes over at once


async def test_losing_the_lease_stops_the_work_and_the_process_keeps_trying(sessionmaker, clock) -> None:
    held, work = lease(sessionmaker, clock, "host-a:1", renew_every=0.02), Work()
    keeper = asyncio.create_task(held.keep(work))
    try:
        await wait_until(lambda: work.running)
        # This process stalled past its lease and another one took over.
        async with sessionmaker() as session, session.begin():
            row = await session.get(SchedulerLease, SCHEDULER_LEASE)
            row.holder, row.expires_at = "host-b:2", clock.now() + timedelta(hours=1)
        await wait_until(lambda: not work.running)
        assert (await held.status()).holder == "host-b:2"
        await asyncio.sleep(0.1)
        assert work.starts == 1  # still standing by
        clock.advance(timedelta(hours=2))  # the other one went away in turn
        await wait_until(lambda: work.running)
        assert work.starts == 2 and (await held.status()).mine
    finally:
        keeper.cancel()
        with pytest.raises(asyncio.CancelledError):
            await keeper


async def test_a_holder_that_cannot_reach_the_database_stops_before_its_lease_lapses(sessionmaker, clock) -> None:
    held = lease(sessionmaker, clock, "host-a:1", renew_every=30)
    assert await held._renewed()

    async def unreachable() -> bool:
        raise OperationalError("renew", {}, ConnectionRefusedError())

    held.take = unreachable
    clock.advance(timedelta(seconds=30))
    assert await held._renewed()  # 60 s left: the next renewal comes before the lease lapses
    clock.advance(timedelta(seconds=30))
    assert not await held._renewed()  # 30 s left: the next try would be too late, so stop now
    assert held.held_until is None


async def test_the_sender_runs_with_the_lease_and_stops_with_it(sessionmaker, clock, policy, database_url) -> None:
    """In `tepai run` the sender runs beside APScheduler under the lease: losing the lease stops
    both (it used to stop APScheduler only, leaving a second sender running)."""
    server = RateLimitedBotApi(per_second=1000)
    bot = create_bot(BOT_TOKEN, api_server=await server.start())
    rt = make(sessionmaker, clock, policy, database_url)
    held = lease(sessionmaker, clock, "host-a:1", renew_every=0.05)
    sender = OutboxSender(sessionmaker, bot, clock, policy, SHANGHAI, per_second=1000, per_chat_interval=0,
                          owner=held.holder)
    async with sessionmaker() as session:
        session.add_all([User(telegram_id=700 + i, full_name=f"用户{i}", created_at=clock.now(), failed_starts=0)
                         for i in range(2)])
        await session.commit()
        first, second = (await session.scalars(select(User).order_by(User.id))).all()

    async def queue(user: User) -> None:
        async with sessionmaker() as session:
            repos = Repos(session)
            await enqueue(repos, clock, policy, SHANGHAI, Outgoing(f"test:{user.id}", user, "你好"))
            await repos.commit()

    serving = asyncio.create_task(runtime.serve(rt, held, sender))
    try:
        await queue(first)
        await wait_until(lambda: server.received[first.telegram_id] == 1)
        assert rt.scheduler is not None and rt.scheduler.running
        async with sessionmaker() as session, session.begin():  # another process took over
            row = await session.get(SchedulerLease, SCHEDULER_LEASE)
            row.holder, row.expires_at = "host-b:2", clock.now() + timedelta(hours=1)
        await wait_until(lambda: not rt.scheduler.running)
        await queue(second)
        await asyncio.sleep(1.5)  # longer than the sender's idle pause, thirty lease periods
        assert server.received[second.telegram_id] == 0  # no sender runs here any more
    finally:
        serving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await serving
        await bot.session.close()
        await server.stop()


# --- starting and stopping ------------------------------------------------------------------------

async def test_start_runs_one_scheduler_over_the_persistent_job_store(sessionmaker, clock, policy,
                                                                       database_url) -> None:
    rt = make(sessionmaker, clock, policy, database_url)
    try:
        await runtime.start(rt)
        assert runtime.current() is rt
        assert rt.scheduler is not None and rt.scheduler.running
        assert ids(job.id for job in rt.scheduler.get_jobs()) == ["reminders"]
        assert rt.scheduler.get_job("reminders").trigger.interval == runtime.REMINDERS_EVERY
    finally:
        await runtime.stop(rt)
    assert not rt.scheduler.running
    with pytest.raises(RuntimeError):
        runtime.current()
    assert stored_jobs(database_url) == ["reminders"]  # the job store persists them

    # A restart over the same job store replaces the jobs: still one of each.
    again = make(sessionmaker, clock, policy, database_url)
    try:
        await runtime.start(again)
        assert ids(job.id for job in again.scheduler.get_jobs()) == ["reminders"]
    finally:
        await runtime.stop(again)
    assert stored_jobs(database_url) == ["reminders"]


async def test_the_old_lease_job_is_dropped_from_the_job_store(sessionmaker, clock, policy, database_url) -> None:
    """Earlier versions renewed the lease from an APScheduler job stored in the job store."""
    rt = make(sessionmaker, clock, policy, database_url)
    await runtime.start(rt)
    rt.scheduler.add_job(asyncio.sleep, "interval", seconds=30, args=(0,), id="lease")
    await runtime.stop(rt)
    assert stored_jobs(database_url) == ["lease", "reminders"]
    await runtime.start(rt)
    await runtime.stop(rt)
    assert stored_jobs(database_url) == ["reminders"]


async def test_scheduler_starts_while_a_bot_transaction_holds_a_write(sessionmaker, clock, policy,
                                                                     database_url) -> None:
    """The bot's pruning task may be mid-write when the scheduler starts. The job store's blocking
    writes run on the event loop's thread, so they must not wait for a lock the awaiting bot holds
    (on one SQLite file they did: "database is locked" after the busy timeout)."""
    rt = make(sessionmaker, clock, policy, database_url)
    try:
        async with sessionmaker() as session, session.begin():
            session.add(SchedulerLease(name="held-by-the-bot", holder="bot", expires_at=clock.now()))
            await session.flush()  # the write lock is held until this block ends
            await runtime.start(rt)
    finally:
        await runtime.stop(rt)
    assert stored_jobs(database_url) == ["reminders"]


# --- the reminders job ----------------------------------------------------------------------------

async def test_reminders_job_queues_what_is_due(world, sessionmaker, clock, policy, database_url,  # noqa: F811
                                                monkeypatch) -> None:
    h = build(world, policy, clock)
    await h.send(ZHANG, f"/start {await invite(world[0], clock, Role.COMMISSIONER, 'C001')}")
    rt = make(sessionmaker, clock, policy, database_url)
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
