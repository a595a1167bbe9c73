"""`tepai run`: migrate, then long-poll Telegram (or a self-hosted Bot API server)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from aiogram import Bot, Dispatcher
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.commands import set_default_menus
from bot.coordination import coordination
from bot.factory import create_bot, create_dispatcher
from bot.settings import Settings
from bot.telegram_reach import wait_for_telegram
from domain import uploads
from domain.clock import SystemClock
from domain.policy import Policy
from locales import Translator
from scheduler import runtime
from scheduler.lease import Lease
from scheduler.sender import OutboxSender
from storage import migrate
from storage.db import create_engine, create_sessionmaker, reach
from storage.evidence_store import EvidenceStore
from storage.failed_updates import FailedUpdates
from storage.repositories.updates import UpdateRepo

log = logging.getLogger(__name__)

# Telegram keeps unconfirmed updates for 24 hours; a week of remembered ids is plenty.
REMEMBER_UPDATES = timedelta(days=7)
PRUNE_EVERY_S = 6 * 3600


async def _prune_processed_updates(sessionmaker, clock) -> None:  # noqa: ANN001
    while True:
        try:
            async with sessionmaker() as session, session.begin():
                removed = await UpdateRepo(session).forget_before(clock.now() - REMEMBER_UPDATES)
        except Exception:  # the database away for a while: the loop must outlive it
            log.exception("forgetting old update ids failed; trying again in a minute")
            await asyncio.sleep(60)
            continue
        log.info("forgot %d old update ids", removed)
        await asyncio.sleep(PRUNE_EVERY_S)


def sender_for(settings: Settings, sessionmaker, bot, clock, policy, owner: str | None = None,  # noqa: ANN001
               evidence: EvidenceStore | None = None) -> OutboxSender:
    return OutboxSender(sessionmaker, bot, clock, policy, settings.zone, per_second=settings.send_rate,
                        per_chat_interval=settings.chat_interval, default_language=settings.language, owner=owner,
                        evidence=evidence or settings.evidence_store())


def scheduling(settings: Settings, sessionmaker, bot, clock, policy,  # noqa: ANN001
               evidence: EvidenceStore | None = None) -> tuple[runtime.Runtime, Lease, OutboxSender]:
    """The scheduler, the lease it runs under and the sender (reading documents from `evidence`,
    default: the configured store), for `runtime.serve`."""
    rt = runtime.Runtime(sessionmaker, clock, policy, settings.zone, settings.db_url, settings.data_dir)
    lease = Lease(sessionmaker, clock, ttl=settings.lease_ttl)
    # The sender claims outbox rows in the lease holder's name: one name per process in both tables.
    return rt, lease, sender_for(settings, sessionmaker, bot, clock, policy, owner=lease.holder, evidence=evidence)


@contextlib.asynccontextmanager
async def started(settings: Settings, token: str, *,
                  pre_ping: bool = True) -> AsyncIterator[tuple[async_sessionmaker, SystemClock, Bot]]:
    """The database reached and migrated, its sessionmaker, the clock and the Bot; closed again on
    the way out. `pre_ping`: see storage.db.create_engine."""
    engine = create_engine(settings.db_url, pre_ping=pre_ping)
    try:
        await reach(engine)  # DatabaseUnreachable: one line from the CLI, not a traceback
    except BaseException:
        await engine.dispose()
        raise
    await migrate.upgrade(engine)
    await asyncio.to_thread(uploads.warm_up)
    bot = create_bot(token, settings.api_server, proxy=settings.proxy)
    try:
        yield create_sessionmaker(engine), SystemClock(), bot
    finally:
        await bot.session.close()
        await engine.dispose()


async def run_scheduler(settings: Settings, policy: Policy, token: str, t: Translator) -> None:
    """`tepai scheduler`: schedule and send, answer no updates. While another process holds the
    lease this one stands by and takes over when that lease lapses."""
    async with started(settings, token) as (sessionmaker, clock, bot):
        log.info(t("cli.scheduler_running"))
        await runtime.serve(*scheduling(settings, sessionmaker, bot, clock, policy))


async def run_polling(settings: Settings, policy: Policy, token: str, t: Translator) -> None:
    async with started(settings, token) as (sessionmaker, clock, bot), \
            coordination(settings, workers=False) as shared:
        evidence = settings.evidence_store()  # one for the chat and the sender: one client, one pool
        dp = dispatcher_for(settings, sessionmaker, clock, policy, evidence, storage=shared.storage)
        # Telegram first: a refused token then stops before any background transaction is under
        # way (cancelling one mid-commit made SQLAlchemy log a traceback on the way out).
        me = await wait_for_telegram(bot, settings.api_server, t)
        async with background_work(settings, sessionmaker, bot, clock, policy, evidence):
            await set_default_menus(bot)
            log.info(t("cli.starting", username=me.username, policy=policy.key, url=settings.db_url.split("@")[-1]))
            await dp.start_polling(bot, allowed_updates=dp.resolve_used_update_types())


def dispatcher_for(settings: Settings, sessionmaker, clock, policy: Policy,  # noqa: ANN001
                   evidence: EvidenceStore | None = None, **extra) -> Dispatcher:  # noqa: ANN003
    return create_dispatcher(**extra, sessionmaker=sessionmaker, policy=policy, clock=clock, zone=settings.zone,
                             default_language=settings.language,
                             evidence_store=evidence or settings.evidence_store(), web_url=settings.web_url,
                             map_tiles=settings.map_tiles, failed_updates=FailedUpdates(settings.data_dir.resolve()))


@contextlib.asynccontextmanager
async def background_work(settings: Settings, sessionmaker, bot, clock, policy: Policy,  # noqa: ANN001
                          evidence: EvidenceStore | None = None) -> AsyncIterator[Lease | None]:
    """Forgetting old update ids, and (TEPAI_SCHEDULER=inline) the scheduler and the sender
    whenever this process holds the lease (yielded, or None); cancelled on the way out."""
    background = [asyncio.create_task(_prune_processed_updates(sessionmaker, clock))]
    lease = None
    if settings.scheduler == "inline":
        rt, lease, sender = scheduling(settings, sessionmaker, bot, clock, policy, evidence)
        background.append(asyncio.create_task(runtime.serve(rt, lease, sender)))
    try:
        yield lease
    finally:
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
