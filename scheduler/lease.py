"""The scheduler lease: which one process schedules and sends.

APScheduler 3.x must not share its job store between two running schedulers, and two senders
would compete for one outbox, so one process holds a lease row in the database and renews it
every `renew_every`. Every other process keeps trying at the same period, so when the holder
dies (a crash, `kill -9`, a lost host) another takes over at most `ttl + renew_every` after the
holder's last renewal. Each process start has its own holder name, so a restarted process never
mistakes a dead predecessor's lease for its own, nor the other way round.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock, as_utc
from storage.repositories import Repos

log = logging.getLogger(__name__)

SCHEDULER_LEASE = "scheduler"
LEASE_TTL = timedelta(seconds=90)
FINISH_S = 25.0  # on a stop: how long the sender may take to finish its batch before it is cancelled


def process_name() -> str:
    """This process, as lease holder and outbox claimant: host, pid and a random part (a restarted
    container has the same host name and often the same pid)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class LeaseStatus:
    """Who holds a lease, as readiness checks report it."""

    name: str
    holder: str | None  # None: nobody has taken it, or it was released
    expires_at: datetime | None
    live: bool  # held and not lapsed
    mine: bool  # held, not lapsed, by the process that asks


class Lease:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock,
                 name: str = SCHEDULER_LEASE, holder: str | None = None, ttl: timedelta = LEASE_TTL,
                 renew_every: timedelta | None = None) -> None:
        self.sessionmaker, self.clock, self.name = sessionmaker, clock, name
        self.holder = holder or process_name()
        self.ttl = ttl
        self.renew_every = renew_every if renew_every is not None else ttl / 3
        self.held_until: datetime | None = None  # as far as this process knows

    async def take(self) -> bool:
        """Take the lease, or renew it if it is ours; False if another process holds it."""
        now = self.clock.now()
        async with self.sessionmaker() as session:
            repos = Repos(session)
            taken = await repos.lease.take(self.name, self.holder, now, now + self.ttl)
            await repos.commit()
        self.held_until = now + self.ttl if taken else None
        return taken

    async def release(self) -> None:
        self.held_until = None
        async with self.sessionmaker() as session:
            repos = Repos(session)
            await repos.lease.release(self.name, self.holder)
            await repos.commit()

    async def status(self) -> LeaseStatus:
        async with self.sessionmaker() as session:
            row = await Repos(session).lease.get(self.name)
        if row is None:
            return LeaseStatus(self.name, None, None, live=False, mine=False)
        expires_at = as_utc(row.expires_at)
        live = expires_at >= self.clock.now()
        return LeaseStatus(self.name, row.holder, expires_at, live=live, mine=live and row.holder == self.holder)

    async def keep(self, while_held: Callable[[], Awaitable[None]], until: asyncio.Event | None = None,
                   finish_s: float = FINISH_S) -> None:
        """Until `until` is set (forever without it): take or renew the lease every `renew_every`;
        while it is held, run `while_held()` as a task, and cancel that task as soon as the lease is
        lost. Once `until` is set the task is given `finish_s` to end by itself (it watches `until`
        too), then cancelled. Either way, and when `keep` is cancelled, the lease is released, so
        another process (or a restart) can take over at once."""
        work: asyncio.Task | None = None
        seen: str | None = None  # what was logged last, to log changes only
        until = until or asyncio.Event()
        try:
            while not until.is_set():
                held = await self._renewed()
                if until.is_set():
                    break
                if held and (work is None or work.done()):
                    if work is not None and not work.cancelled() and work.exception() is not None:
                        log.error("work under the %s lease failed; starting it again", self.name,
                                  exc_info=work.exception())
                    work = asyncio.create_task(while_held())
                elif not held and work is not None:
                    log.error("%s lease lost; this process stops scheduling and sending", self.name)
                    await _cancel(work)
                    work = None
                now_seen = "held" if held else (await self._holder_elsewhere())
                if now_seen != seen:
                    seen = now_seen
                    log.info("%s lease %s", self.name, "taken by this process" if held else f"held by {now_seen}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(until.wait(), self.renew_every.total_seconds())
            if work is not None and not (await asyncio.wait({work}, timeout=finish_s))[0]:
                log.warning("work under the %s lease did not finish within %.0f s; stopping it", self.name, finish_s)
        finally:
            if work is not None:
                await _cancel(work, stopping=True)
            if self.held_until is not None:
                with contextlib.suppress(SQLAlchemyError, OSError):
                    await asyncio.shield(self.release())

    async def _renewed(self) -> bool:
        """Whether this process may go on (or start) as the holder. When the database cannot be
        asked, a holder goes on only while its lease outlasts the next renewal: it stops before
        another process may take over, never after."""
        held_until = self.held_until
        try:
            return await self.take()
        except (SQLAlchemyError, OSError) as exc:
            log.warning("%s lease: database unavailable (%s)", self.name, exc)
            self.held_until = held_until
            if held_until is not None and self.clock.now() + self.renew_every < held_until:
                return True
            self.held_until = None
            return False

    async def _holder_elsewhere(self) -> str:
        try:
            status = await self.status()
        except (SQLAlchemyError, OSError):
            return "(unknown: database unavailable)"
        return status.holder if status.live and status.holder else "(nobody)"


async def _cancel(task: asyncio.Task, stopping: bool = False) -> None:
    """Cancel the task and wait for it to end. Unless we are `stopping` already, a cancellation of
    our own that arrives meanwhile is passed on, not mistaken for the task's."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        if not stopping and asyncio.current_task().cancelling():
            raise
    except Exception:  # it failed while stopping: nothing to run again, but say so
        log.exception("work under a lease failed while stopping")
