"""`tepai run`: migrate, then long-poll Telegram (or a self-hosted Bot API server)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from bot.commands import set_default_menus
from bot.factory import create_bot, create_dispatcher
from bot.settings import Settings
from domain.clock import SystemClock
from domain.policy import Policy
from locales import Translator
from scheduler import runtime
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


def sender_for(settings: Settings, sessionmaker, bot, clock, policy) -> OutboxSender:  # noqa: ANN001
    return OutboxSender(sessionmaker, bot, clock, policy, settings.zone, per_second=settings.send_rate,
                        per_chat_interval=settings.chat_interval, default_language=settings.language)


async def run_scheduler(settings: Settings, policy: Policy, token: str, t: Translator) -> bool:
    """`tepai scheduler`: schedule and send, answer no updates. False if another process schedules."""
    engine = create_engine(settings.db_url)
    try:
        await reach(engine)  # DatabaseUnreachable: one line from the CLI, not a traceback
    except BaseException:
        await engine.dispose()
        raise
    await migrate.upgrade(engine)
    sessionmaker = create_sessionmaker(engine)
    clock = SystemClock()
    bot = create_bot(token, settings.api_server)
    rt = runtime.Runtime(sessionmaker, clock, policy, settings.zone, settings.db_url, settings.data_dir)
    try:
        if not await runtime.start(rt):
            return False
        log.info(t("cli.scheduler_running"))
        sender = asyncio.create_task(sender_for(settings, sessionmaker, bot, clock, policy).run_forever())
        try:
            await rt.stopped.wait()
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            await runtime.stop(rt)
        return True
    finally:
        await bot.session.close()
        await engine.dispose()


async def run_polling(settings: Settings, policy: Policy, token: str, t: Translator) -> None:
    engine = create_engine(settings.db_url)
    try:
        await reach(engine)  # DatabaseUnreachable: one line from the CLI, not a traceback
    except BaseException:
        await engine.dispose()
        raise
    await migrate.upgrade(engine)
    sessionmaker = create_sessionmaker(engine)
    clock = SystemClock()
    bot = create_bot(token, settings.api_server)
    dp = create_dispatcher(sessionmaker=sessionmaker, policy=policy, clock=clock, zone=settings.zone,
                           default_language=settings.language,
                           evidence_store=EvidenceStore(settings.evidence_dir),
                           failed_updates=FailedUpdates(settings.data_dir.resolve()))
    background = [asyncio.create_task(_prune_processed_updates(sessionmaker, clock))]
    rt = None
    if settings.scheduler == "inline":
        rt = runtime.Runtime(sessionmaker, clock, policy, settings.zone, settings.db_url, settings.data_dir)
        if await runtime.start(rt):
            background.append(asyncio.create_task(sender_for(settings, sessionmaker, bot, clock, policy).run_forever()))
        else:
            log.warning(t("cli.scheduler_elsewhere"))
            rt = None
    try:
        me = await bot.me()
        await set_default_menus(bot)
        log.info(t("cli.starting", username=me.username, policy=policy.key, url=settings.db_url.split("@")[-1]))
        await dp.start_polling(bot, allowed_updates=dp.resolve_used_update_types())
    finally:
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if rt is not None:
            await runtime.stop(rt)
        await bot.session.close()
        await engine.dispose()
