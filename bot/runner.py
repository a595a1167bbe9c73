"""`tepai run`: migrate, then long-poll Telegram (or a self-hosted Bot API server)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from aiogram import Bot
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.commands import set_default_menus
from bot.factory import create_bot, create_dispatcher
from bot.settings import Settings
from domain.clock import SystemClock
from domain.policy import Policy
from locales import Translator
from scheduler import runtime
from scheduler.sender import OutboxSender
from storage import migrate
from storage.db import create_engine, create_sessionmaker
from storage.evidence_store import EvidenceStore
from storage.repositories.updates import UpdateRepo

log = logging.getLogger(__name__)

# Telegram keeps unconfirmed updates for 24 hours; a week of remembered ids is plenty.
REMEMBER_UPDATES = timedelta(days=7)
PRUNE_EVERY_S = 6 * 3600


async def _prune_processed_updates(sessionmaker, clock) -> None:  # noqa: ANN001
    while True:
        async with sessionmaker() as session, session.begin():
            removed = await UpdateRepo(session).forget_before(clock.now() - REMEMBER_UPDATES)
        log.info("forgot %d old update ids", removed)
        await asyncio.sleep(PRUNE_EVERY_S)


def sender_for(settings: Settings, sessionmaker, bot, clock, policy) -> OutboxSender:  # noqa: ANN001
    return OutboxSender(sessionmaker, bot, clock, policy, settings.zone, per_second=settings.send_rate,
                        per_chat_interval=settings.chat_interval, default_language=settings.language)


@contextlib.asynccontextmanager
async def _started(settings: Settings, token: str) -> AsyncIterator[tuple[async_sessionmaker, SystemClock, Bot]]:
    """The database migrated, its sessionmaker, the clock and the Bot; closed again on the way out."""
    engine = create_engine(settings.db_url)
    await migrate.upgrade(engine)
    bot = create_bot(token, settings.api_server)
    try:
        yield create_sessionmaker(engine), SystemClock(), bot
    finally:
        await bot.session.close()
        await engine.dispose()


@contextlib.asynccontextmanager
async def _scheduling(settings: Settings, policy: Policy, sessionmaker, clock, bot) -> AsyncIterator[  # noqa: ANN001
        runtime.Runtime | None]:
    """APScheduler and the outbox sender in this process, if it gets the scheduler lease: the
    running Runtime, or None when another process schedules."""
    rt = runtime.Runtime(sessionmaker, clock, policy, settings.zone, settings.db_url, settings.data_dir)
    if not await runtime.start(rt):
        yield None
        return
    sender = asyncio.create_task(sender_for(settings, sessionmaker, bot, clock, policy).run_forever())
    try:
        yield rt
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        await runtime.stop(rt)


async def run_scheduler(settings: Settings, policy: Policy, token: str, t: Translator) -> bool:
    """`tepai scheduler`: schedule and send, answer no updates. False if another process schedules."""
    async with _started(settings, token) as (sessionmaker, clock, bot), \
            _scheduling(settings, policy, sessionmaker, clock, bot) as rt:
        if rt is None:
            return False
        log.info(t("cli.scheduler_running"))
        await rt.stopped.wait()
        return True


async def run_polling(settings: Settings, policy: Policy, token: str, t: Translator) -> None:
    async with _started(settings, token) as (sessionmaker, clock, bot), contextlib.AsyncExitStack() as stack:
        dp = create_dispatcher(sessionmaker=sessionmaker, policy=policy, clock=clock, zone=settings.zone,
                               default_language=settings.language,
                               evidence_store=EvidenceStore(settings.evidence_dir), web_url=settings.web_url)
        pruning = asyncio.create_task(_prune_processed_updates(sessionmaker, clock))
        stack.push_async_callback(_cancel, pruning)
        if settings.scheduler == "inline" and \
                await stack.enter_async_context(_scheduling(settings, policy, sessionmaker, clock, bot)) is None:
            log.warning(t("cli.scheduler_elsewhere"))
        me = await bot.me()
        await set_default_menus(bot)
        log.info(t("cli.starting", username=me.username, policy=policy.key, url=settings.db_url.split("@")[-1]))
        await dp.start_polling(bot, allowed_updates=dp.resolve_used_update_types())


async def _cancel(task: asyncio.Task) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
