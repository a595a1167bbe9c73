"""One database transaction per update, kept short, retried, and never silently lost.

Handlers get `repos` over one session. The update's writes gather at the end: the conversation
state is written just before the commit (storage/fsm.py), so is the update's dedupe claim
(`UnitOfWork.before_commit`), and replies leave after the commit (bot/replies.py). SQLite's
write lock is therefore held from a handler's first row write to the commit, with no Telegram
call in between.

A handler that fails on something passing (a lock not freed within the busy or lock timeout, a
deadlock, the database gone for a moment: `storage.db.is_transient`) runs again from the start
after a growing pause, in a fresh transaction; what it queued to say is dropped with the rollback.
An update that still fails, or fails on a bug, is written to `failed-updates.jsonl`
(storage/failed_updates.py) and its sender gets an apology, since polling has already confirmed
it to Telegram and would not deliver it again. In webhook mode an update whose transient failures
outlast the retries is handed back instead (UpdateNotHandled, answered 500): Telegram delivers it
again later.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.middlewares.user_context import EVENT_CONTEXT_KEY
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.replies import begin_update, end_update
from domain.clock import Clock
from locales import Translator
from storage import db
from storage.failed_updates import FailedUpdates
from storage.fsm import bind_update_session, current_scope, unbind_update_session
from storage.repositories import Repos

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retry:
    """How often and how patiently an update is tried again: 0.25 s, 0.5 s, 1 s, 2 s between the
    five attempts by default (each attempt may itself wait up to the lock timeout)."""

    attempts: int = 5
    first_pause_s: float = 0.25
    factor: float = 2.0

    def pause(self, failed_attempts: int) -> float:
        return self.first_pause_s * self.factor ** (failed_attempts - 1)


class UpdateNotHandled(Exception):
    """Webhook mode: the update's transient failures outlasted the retries. Not recorded and not
    apologised for: answering 500 makes Telegram deliver it again later, and the person gets the
    answer then."""


class DeliveredTwice(Exception):
    """Another handling of the same update committed first: this one rolls back, says nothing."""


class UnitOfWork:
    """One attempt at one update: its session, and what to write just before the commit."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._before_commit: list[Callable[[], Awaitable[None]]] = []

    def before_commit(self, step: Callable[[], Awaitable[None]]) -> None:
        self._before_commit.append(step)

    async def commit(self) -> None:
        for step in self._before_commit:
            await step()
        scope = current_scope()
        if scope is not None:
            await scope.flush()
        await db.commit(self.session)
        if scope is not None:
            await scope.committed()


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, failed: FailedUpdates,
                 default_language: str, retry: Retry | None = None, *, redelivered: bool = False) -> None:
        """`redelivered`: Telegram delivers an update again until it is acknowledged (webhook
        mode), so one that keeps failing on something passing is handed back (UpdateNotHandled)
        instead of recorded as lost."""
        self._redelivered = redelivered
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._failed = failed
        self._language = default_language
        self._retry = retry or Retry()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        for attempt in range(1, self._retry.attempts + 1):
            try:
                return await self._attempt(handler, event, dict(data))
            except DeliveredTwice:
                log.info("update %s was handled meanwhile; this delivery says nothing", _update_id(event))
                return None
            except Exception as exc:
                if not db.is_transient(exc):
                    await self._give_up(event, data, exc)
                    raise
                if attempt == self._retry.attempts and self._redelivered:
                    log.error("update %s failed %d times (%s); left for Telegram to deliver again",
                              _update_id(event), attempt, type(exc).__name__)
                    raise UpdateNotHandled(_update_id(event)) from exc
                if attempt == self._retry.attempts:
                    log.error("update %s failed %d times; recorded", _update_id(event), attempt, exc_info=exc)
                    await self._give_up(event, data, exc)
                    return None
                log.warning("update %s: %s; trying again (attempt %d)", _update_id(event),
                            type(exc).__name__, attempt + 1)
                await asyncio.sleep(self._retry.pause(attempt))
        return None  # pragma: no cover - the loop returns or raises

    async def _attempt(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        replies, replies_token = begin_update()
        try:
            async with self._sessionmaker() as session:
                work = UnitOfWork(session)
                data["repos"], data["unit_of_work"] = Repos(session), work
                token = bind_update_session(session, self._clock)  # conversation state joins this unit of work
                try:
                    result = await handler(event, data)
                    await work.commit()
                except BaseException:
                    replies.drop()
                    await session.rollback()
                    raise
                finally:
                    unbind_update_session(token)
            await replies.send()
            return result
        finally:
            end_update(replies_token)

    async def _give_up(self, event: TelegramObject, data: dict[str, Any], exc: BaseException) -> None:
        """Keep the update for an operator and tell its sender, whatever else is failing."""
        try:
            dumped = event.model_dump(mode="json", exclude_none=True) if isinstance(event, Update) else {}
            await asyncio.to_thread(self._failed.record, dumped, type(exc).__name__, self._clock.now())
        except Exception:
            log.exception("could not record failed update %s", _update_id(event))
        context = data.get(EVENT_CONTEXT_KEY)
        chat_id = getattr(context, "chat_id", None)
        bot: Bot | None = data.get("bot")
        if chat_id is None or bot is None:
            return
        try:
            await bot.send_message(chat_id, Translator(self._language, markup=True)("fallback.not_handled"))
        except Exception:
            log.exception("could not apologise for update %s", _update_id(event))


def _update_id(event: TelegramObject) -> int | None:
    return event.update_id if isinstance(event, Update) else None
