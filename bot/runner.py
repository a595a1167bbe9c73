"""`tepai run`: migrate, then long-poll Telegram (or a self-hosted Bot API server)."""
from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from aiogram import Bot, Dispatcher
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.commands import set_default_menus
from bot.coordination import coordination
from bot.factory import create_bot, create_dispatcher
from bot.health import Health, health_app, instrument, listening
from bot.settings import Settings
from bot.shutdown import InFlight, Shutdown, first_of
from bot.telegram_reach import wait_for_telegram
from domain import uploads
from domain.clock import SystemClock
from domain.policy import Policy
from locales import Translator
from scheduler import runtime
from scheduler.lease import FINISH_S, Lease
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


async def _prune_processed_updates(sessionmaker, clock, until: asyncio.Event) -> None:  # noqa: ANN001
    while not until.is_set():
        try:
            async with sessionmaker() as session, session.begin():
                removed = await UpdateRepo(session).forget_before(clock.now() - REMEMBER_UPDATES)
        except Exception:  # the database away for a while: the loop must outlive it
            log.exception("forgetting old update ids failed; trying again in a minute")
            pause = 60
        else:
            log.info("forgot %d old update ids", removed)
            pause = PRUNE_EVERY_S
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(until.wait(), pause)


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
    lease this one stands by and takes over when that lease lapses. SIGTERM: the sender's batch
    goes out, the lease is released."""
    shutdown = Shutdown.on_signals()
    async with started(settings, token) as (sessionmaker, clock, bot):
        metrics = instrument(bot)[0] if settings.metrics_port else None
        evidence = settings.evidence_store(on_error=metrics.evidence_error if metrics else None)
        rt, lease, sender = scheduling(settings, sessionmaker, bot, clock, policy, evidence)
        health = Health(metrics, sessionmaker, clock, evidence, lease, stopping=shutdown.requested) if metrics else None
        async with metrics_listener(settings, health, t):
            log.info(t("cli.scheduler_running"))
            with shutdown.serving():
                await runtime.serve(rt, lease, sender, until=shutdown.requested)


@contextlib.asynccontextmanager
async def metrics_listener(settings: Settings, health: Health | None, t: Translator) -> AsyncIterator[None]:
    """With TEPAI_METRICS_PORT (or --metrics-port): /healthz, /readyz and /metrics beside polling
    or the scheduler. Entered before the work and left after it, so /healthz answers until the end."""
    if health is None or not settings.metrics_port:
        yield
        return
    async with listening(health_app(health), settings.metrics_host, settings.metrics_port,
                         access_log=None):  # a scrape every few seconds is no event
        log.info(t("cli.metrics_listening", host=settings.metrics_host, port=settings.metrics_port))
        yield


async def run_polling(settings: Settings, policy: Policy, token: str, t: Translator) -> None:
    """`tepai run`. SIGTERM: no more getUpdates, the updates in flight and the sender's batch
    finish, the lease is released (bot/shutdown.py)."""
    shutdown = Shutdown.on_signals()
    async with started(settings, token) as (sessionmaker, clock, bot), \
            coordination(settings, workers=False) as shared:
        in_flight = InFlight()
        metrics, update_metrics = instrument(bot) if settings.metrics_port else (None, None)
        evidence = settings.evidence_store(on_error=metrics.evidence_error if metrics else None)
        dp = dispatcher_for(settings, sessionmaker, clock, policy, evidence, in_flight=in_flight.middleware(),
                            update_metrics=update_metrics, storage=shared.storage)
        # Telegram first: a refused token then stops before any background transaction is under
        # way (cancelling one mid-commit made SQLAlchemy log a traceback on the way out).
        me = await wait_for_telegram(bot, settings.api_server, t)
        health = Health(metrics, sessionmaker, clock, evidence, redis=shared.redis,
                        stopping=shutdown.requested) if metrics else None
        async with (metrics_listener(settings, health, t),
                    background_work(settings, sessionmaker, bot, clock, policy, evidence, shutdown.requested) as lease):
            if health is not None:
                health.lease = lease
            await set_default_menus(bot)
            log.info(t("cli.starting", username=me.username, policy=policy.key, url=settings.db_url.split("@")[-1]))
            settle()
            # aiogram's own signal handling would stop polling but not wait for the updates it started.
            polling = asyncio.create_task(dp.start_polling(bot, allowed_updates=dp.resolve_used_update_types(),
                                                           handle_signals=False, close_bot_session=False))
            with shutdown.serving():
                await first_of(polling, shutdown.wait())
                if not polling.done():
                    try:
                        await dp.stop_polling()
                    except RuntimeError:  # asked to stop before polling had started
                        polling.cancel()
                await asyncio.wait({polling})
                if not polling.cancelled():
                    polling.result()  # its failure, if it failed
                await in_flight.drain()


def settle() -> None:
    """Once started: what starting made (modules, mappers, the dispatcher, the app) lives as long
    as the process, so the cyclic garbage collector is told to leave it alone (gc.freeze). A full
    collection otherwise walks all of it again, about 375,000 objects: 280 ms measured in process,
    a pause every update in flight waits out."""
    gc.collect()
    gc.freeze()


def dispatcher_for(settings: Settings, sessionmaker, clock, policy: Policy,  # noqa: ANN001
                   evidence: EvidenceStore | None = None, **extra) -> Dispatcher:  # noqa: ANN003
    return create_dispatcher(**extra, sessionmaker=sessionmaker, policy=policy, clock=clock, zone=settings.zone,
                             default_language=settings.language,
                             evidence_store=evidence or settings.evidence_store(), web_url=settings.web_url,
                             map_tiles=settings.map_tiles, failed_updates=FailedUpdates(settings.data_dir.resolve()))


@contextlib.asynccontextmanager
async def background_work(settings: Settings, sessionmaker, bot, clock, policy: Policy,  # noqa: ANN001
                          evidence: EvidenceStore | None = None,
                          until: asyncio.Event | None = None) -> AsyncIterator[Lease | None]:
    """Forgetting old update ids, and (TEPAI_SCHEDULER=inline) the scheduler and the sender
    whenever this process holds the lease (yielded, or None). On the way out, once `until` is set,
    they finish what they do (the sender its batch) and end; otherwise they are cancelled."""
    until = until or asyncio.Event()
    background = [asyncio.create_task(_prune_processed_updates(sessionmaker, clock, until))]
    lease = None
    if settings.scheduler == "inline":
        rt, lease, sender = scheduling(settings, sessionmaker, bot, clock, policy, evidence)
        background.append(asyncio.create_task(runtime.serve(rt, lease, sender, until)))
    try:
        yield lease
        if until.is_set():
            await asyncio.wait(background, timeout=FINISH_S + 5)  # the lease's own bound comes first
    finally:
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
