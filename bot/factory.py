"""Assembles the Bot and the Dispatcher: the only place that knows every part."""
from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.middlewares import DbSessionMiddleware, DedupeMiddleware, Retry, UserMiddleware
from bot.middlewares.ordering import UpdateOrderMiddleware
from bot.replies import QueueReplies
from bot.response_models import KeepResponseModels
from bot.settings import DEFAULT_API_SERVER, DEFAULT_WEB_URL
from domain.clock import Clock
from domain.policy import Policy
from handlers import build_root_router
from storage.evidence_store import EvidenceStore
from storage.failed_updates import FailedUpdates
from storage.fsm import DatabaseStorage
from storage.user_locks import UserLocks


def create_bot(token: str, api_server: str = DEFAULT_API_SERVER, session: BaseSession | None = None,
               proxy: str | None = None) -> Bot:
    """A Bot speaking to Telegram, or to a self-hosted Bot API server at `api_server`, directly or
    through `proxy` (http, https or socks5, made by aiohttp-socks). During an update, its replies
    are queued until the update commits (bot/replies.py); the models its answers are read with are
    built once (bot/response_models.py)."""
    if session is None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_server), proxy=proxy)
    session.middleware(QueueReplies())
    session.middleware(KeepResponseModels())
    return Bot(token=token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def create_dispatcher(
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    policy: Policy,
    clock: Clock,
    zone: ZoneInfo,
    default_language: str = "zh",
    evidence_store: EvidenceStore,
    storage: BaseStorage | None = None,
    failed_updates: FailedUpdates | None = None,
    retry: Retry | None = None,
    web_url: str = DEFAULT_WEB_URL,
    map_tiles: str | None = None,
    update_metrics: BaseMiddleware | None = None,
    in_flight: BaseMiddleware | None = None,
    user_locks: UserLocks | None = None,
    redelivered: bool = False,
) -> Dispatcher:
    """`failed_updates`: where updates that could not be handled are kept (default: beside the
    evidence directory); `retry`: how an update failing on a lock is tried again. Its replies
    leave after the commit, so the per-person order below also covers them. `user_locks`: one
    person at a time across processes too (bot/coordination.py); `redelivered`: webhook mode,
    where an update not acknowledged comes again (bot/middlewares/session.py)."""
    dp = Dispatcher(
        storage=storage or DatabaseStorage(sessionmaker, clock),
        policy=policy,
        clock=clock,
        zone=zone,
        evidence_store=evidence_store,
        web_url=web_url,
        map_tiles=map_tiles,
    )
    # The update's session opens before aiogram reads the conversation state, so that read, the
    # handler's and every write share one transaction (aiogram's own FSM middleware is moved
    # behind ours through the public register/unregister API).
    dp.update.outer_middleware.unregister(dp.fsm)
    if in_flight is not None:  # counts the updates under way, for a stop that lets them finish
        dp.update.outer_middleware(in_flight)
    if update_metrics is not None:  # counts and times each update around all that follows
        dp.update.outer_middleware(update_metrics)
    # One update per person at a time, in update order, around everything that awaits (the
    # session, the dedupe claim, the state): two quick taps must not race on the same draft, and
    # a backlog must be answered in the order it was sent. aiogram's own isolation stays off: it
    # would lock only inside its FSM middleware, after the database was already touched.
    dp.update.outer_middleware(UpdateOrderMiddleware(user_locks))
    dp.update.outer_middleware(DbSessionMiddleware(
        sessionmaker, clock, failed_updates or FailedUpdates(_beside(evidence_store)), default_language, retry,
        redelivered=redelivered))
    dp.update.outer_middleware(DedupeMiddleware(clock))
    dp.update.outer_middleware(dp.fsm)
    dp.update.outer_middleware(UserMiddleware(clock, default_language))
    dp.include_router(build_root_router())
    return dp


def _beside(evidence_store: EvidenceStore) -> Path:
    """The default folder for failed updates: the data dir holding a directory store. A store in a
    bucket has none here: the caller names one (`tepai run` always does: TEPAI_DATA_DIR)."""
    if evidence_store.root is None:
        raise ValueError(f"evidence is in {evidence_store.where}: pass failed_updates")
    return evidence_store.root.parent
