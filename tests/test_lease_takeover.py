"""A crash and an immediate restart: `tepai run` is killed with SIGKILL while it holds the scheduler
lease (no chance to release it), a new `tepai run` starts at once, and a message queued meanwhile
still goes out — within the lease time plus one renewal period, with short lease settings.
Real processes, a local Bot API server, SQLite and PostgreSQL."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError

from domain.clock import SystemClock
from scheduler.lease import Lease, LeaseStatus
from storage.db import create_engine, create_sessionmaker
from storage.models import OutboxMessage, User
from testkit.databases import ROOT
from testkit.fakes.bot_api import FakeBotApi
from tests.test_run_e2e import TOKEN

LEASE_S = 4.0  # TEPAI_LEASE_SECONDS; renewed and tried every third of it
PERIOD_S = LEASE_S / 3
SLACK_S = 2.5  # the new holder's first sender round on a busy machine


def no_quiet_hours_policy(path: Path) -> Path:
    """The Yangquan preset with no quiet hours, so the test passes at any time of day."""
    text = (ROOT / "domain" / "presets" / "yangquan.toml").read_text("utf-8")
    text = text.replace('quiet_start = "21:00"', 'quiet_start = "00:00"').replace('quiet_end = "08:00"',
                                                                                 'quiet_end = "00:00"')
    path.write_text(text, "utf-8")
    return path


async def start_tepai(env: dict[str, str], cwd: Path, log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as err:
        return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=cwd, env=env,
                                                    stdout=asyncio.subprocess.DEVNULL, stderr=err)


async def status_of(lease: Lease) -> LeaseStatus | None:
    try:
        return await lease.status()
    except SQLAlchemyError:  # not migrated yet
        return None


def held_by(status: LeaseStatus | None, proc: asyncio.subprocess.Process) -> bool:
    return status is not None and status.live and (status.holder or "").startswith(
        f"{socket.gethostname()}:{proc.pid}:")


async def until(predicate, timeout: float, what: str, log: Path) -> None:  # noqa: ANN001 - async predicate
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s\n{log.read_text(errors='replace')[-3000:]}")
        await asyncio.sleep(0.05)


async def test_a_restart_right_after_a_kill_takes_over_the_lease_and_sends(database_url, tmp_path: Path) -> None:
    api = FakeBotApi()
    base = await api.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEPAI_")}
    env.update(TEPAI_DATA_DIR=str(tmp_path / "data"), TEPAI_BOT_TOKEN=TOKEN, TEPAI_API_SERVER=base,
               TEPAI_DATABASE_URL=database_url, TEPAI_LEASE_SECONDS=str(LEASE_S),
               TEPAI_POLICY=str(no_quiet_hours_policy(tmp_path / "policy.toml")))
    log = tmp_path / "tepai.log"
    engine = create_engine(database_url)
    lease = Lease(create_sessionmaker(engine), SystemClock(), holder="the test")
    loop = asyncio.get_running_loop()
    first = await start_tepai(env, tmp_path, log)
    second = None
    try:
        await until(lambda: _async(held_by, status_of(lease), first), 90, "the first process takes the lease", log)
        first.send_signal(signal.SIGKILL)  # no chance to release the lease or stop anything
        await first.wait()
        killed = loop.time()
        polls_before = sum(m == "getUpdates" for m, _ in api.calls)
        second = await start_tepai(env, tmp_path, log)

        async with engine.begin() as conn:  # queued while nobody sends
            user_id = (await conn.execute(insert(User).values(
                telegram_id=4242, full_name="李明", created_at=SystemClock().now(), failed_starts=0)
                .returning(User.id))).scalar_one()
            await conn.execute(insert(OutboxMessage).values(
                key="takeover:1", user_id=user_id, chat_id=4242, text="接手后发送", documents=[],
                status="pending", attempts=0, next_attempt_at=SystemClock().now(), created_at=SystemClock().now()))

        ready = None  # when the second process was up (its first getUpdates): it may start slower than the lease

        async def sent() -> bool:
            nonlocal ready
            if ready is None and sum(m == "getUpdates" for m, _ in api.calls) > polls_before:
                ready = loop.time()
            return "接手后发送" in api.sent_texts()

        await until(sent, 90, "the queued message is sent by the second process", log)
        sent_at = loop.time()
        up = ready if ready is not None else sent_at
        assert sent_at - max(killed + LEASE_S, up) <= PERIOD_S + SLACK_S, (sent_at - killed, up - killed)
        assert api.sent_texts().count("接手后发送") == 1
        assert held_by(await lease.status(), second)  # the status says who holds it now

        async def marked_sent() -> bool:
            async with engine.connect() as conn:
                return (await conn.execute(select(OutboxMessage.status))).scalar_one() == "sent"

        await until(marked_sent, 10, "the message is marked sent", log)
        async with engine.connect() as conn:  # claimed in the new holder's name before it was sent
            claimant = (await conn.execute(select(OutboxMessage.claimed_by))).scalar_one()
        assert claimant == (await lease.status()).holder
    finally:
        for proc in (first, second):
            if proc is not None and proc.returncode is None:
                proc.send_signal(signal.SIGINT)
                await asyncio.wait_for(proc.wait(), 30)
        await api.stop()
    assert second.returncode == 0, log.read_text(errors="replace")[-3000:]
    assert (await lease.status()).holder is None  # a clean stop releases the lease for the next start
    await engine.dispose()


async def _async(check, awaitable, *args) -> bool:  # noqa: ANN001
    return check(await awaitable, *args)
