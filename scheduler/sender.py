"""The one sender: delivers the outbox within Telegram's limits.

At most `per_second` messages a second overall and one every `per_chat_interval` seconds to a
chat; RetryAfter pauses everything for as long as Telegram asks; server and network errors are
retried with backoff; 403 marks the person unreachable and tells their county admin once.
A message is marked sent in the same shielded step that sent it, so stopping the sender between
messages (a restart, a crash of the task) neither repeats nor skips one.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import FSInputFile, InlineKeyboardMarkup
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock
from domain.policy import Policy
from domain.quiet import in_quiet_hours, parse_hhmm
from messages.notices import Notices
from messages.recipients import county_admins_of
from storage.models import OutboxMessage, User
from storage.repositories import Repos

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
MARK_ATTEMPTS = 5


class RateLimiter:
    """Telegram's rule as a sliding window: at most `per_second` messages in any window of a
    little over a second, and `per_chat_interval` seconds between two messages to one chat.

    A window (not a fixed gap between messages) lets the sender catch up after a late wake-up
    without ever putting more than the limit into any second.
    """

    def __init__(self, per_second: float, per_chat_interval: float,
                 now: Callable[[], float] = time.monotonic, window: float = 1.02) -> None:
        self.per_second = per_second
        self.limit = max(1, int(per_second))  # per window: a window a little over 1 s keeps a margin
        self.window = window
        self.per_chat = per_chat_interval
        self.now = now
        self.sent: deque[float] = deque()
        self.paused_until = 0.0
        self.next_chat: dict[int, float] = {}

    def global_ready(self) -> float:
        now = self.now()
        while self.sent and now - self.sent[0] >= self.window:
            self.sent.popleft()
        ready = self.paused_until
        if len(self.sent) >= self.limit:
            ready = max(ready, self.sent[0] + self.window)
        return ready

    def ready_at(self, chat_id: int) -> float:
        return max(self.global_ready(), self.next_chat.get(chat_id, 0.0))

    def taken(self, chat_id: int) -> None:
        now = self.now()
        self.sent.append(now)
        self.next_chat[chat_id] = max(now, self.next_chat.get(chat_id, 0.0)) + self.per_chat

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self.now() + seconds)


class OutboxSender:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], bot: Bot, clock: Clock, policy: Policy,
                 zone: ZoneInfo, per_second: float = 30.0, per_chat_interval: float = 1.0, batch: int = 500,
                 default_language: str = "zh", in_flight: int = 8) -> None:
        self.sessionmaker, self.bot, self.clock, self.policy, self.zone = sessionmaker, bot, clock, policy, zone
        self.limiter = RateLimiter(per_second, per_chat_interval)
        self.batch = batch
        self.in_flight = in_flight
        self.default_language = default_language
        self.stats = {"sent": 0, "retry_after": 0, "errors": 0, "unreachable": 0}

    def _quiet_now(self) -> bool:
        rules = self.policy.notifications
        return in_quiet_hours(self.clock.now().astimezone(self.zone), parse_hhmm(rules.quiet_start),
                              parse_hhmm(rules.quiet_end))

    async def _due(self, after_id: int = 0) -> list[OutboxMessage]:
        async with self.sessionmaker() as session:
            rows = await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= self.clock.now(),
                       OutboxMessage.id > after_id)
                .order_by(OutboxMessage.id).limit(self.batch))
            return list(rows.all())

    async def run_once(self) -> int:
        """Deliver everything due now (in rate); returns how many were sent.

        Up to `in_flight` messages are on their way at once, their starts spaced by the limiter,
        so a slow round trip does not cost throughput.
        """
        if self._quiet_now():
            return 0
        handled: set[int] = set()  # picked up in this run: never fetched and sent again
        queue: list[OutboxMessage] = []
        tasks: set[asyncio.Task] = set()
        # The next batch is fetched while the last quarter of this one goes out, so the sender
        # never stands idle waiting for the database between batches.
        prefetch: asyncio.Future[list[OutboxMessage]] | None = None
        newest = prefetched_after = 0  # the highest id picked up; the one the last prefetch read past
        sent = 0

        async def fetch(after_id: int = 0) -> list[OutboxMessage]:
            nonlocal newest
            fresh = [r for r in await self._due(after_id) if r.id not in handled]
            handled.update(r.id for r in fresh)
            newest = max([newest, *(r.id for r in fresh)])
            return fresh

        def finished(task: asyncio.Task, row: OutboxMessage) -> None:
            nonlocal sent
            tasks.discard(task)
            if task.cancelled() or task.exception() is not None:
                return
            if task.result() == "retry_after":
                queue.append(row)  # Telegram asked us to wait: this one goes again after the pause
            sent += task.result() == "sent"

        try:
            while True:
                if not queue:
                    fresh = await prefetch if prefetch is not None else []
                    prefetch = None
                    if not fresh:  # also picks up retries that came due, whatever their ids
                        fresh = await fetch()
                    if not fresh:
                        if not tasks:
                            return sent
                        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                        continue
                    queue.extend(fresh)
                if prefetch is None and len(queue) <= self.batch // 4 and newest > prefetched_after:
                    prefetched_after = newest
                    prefetch = asyncio.ensure_future(fetch(newest))
                row = self._next(queue)
                wait = self.limiter.ready_at(row.chat_id) - self.limiter.now()
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue  # a pause may have moved things; choose again
                if len(tasks) >= self.in_flight:
                    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                    continue
                queue.remove(row)
                self.limiter.taken(row.chat_id)
                # Shielded: once a message is handed to Telegram, its row is marked even if this
                # run is cancelled meanwhile.
                task = asyncio.ensure_future(asyncio.shield(self._deliver(row)))
                tasks.add(task)
                task.add_done_callback(lambda done, row=row: finished(done, row))
        except Exception:
            # Let the deliveries already with Telegram be marked before anyone runs again, or a
            # next round would find their rows still pending and send them twice.
            if tasks:
                await asyncio.wait(tasks)
            raise
        finally:
            if prefetch is not None:
                prefetch.cancel()

    def _next(self, queue: list[OutboxMessage]) -> OutboxMessage:
        """The oldest message whose chat may receive now; else the one whose chat is free soonest.
        (In a fan-out every chat is free, so this is the head of the queue: no scan.)"""
        now = max(self.limiter.now(), self.limiter.global_ready())
        for row in queue:
            if self.limiter.next_chat.get(row.chat_id, 0.0) <= now:
                return row
        return min(queue, key=lambda r: (self.limiter.ready_at(r.chat_id), r.id))

    async def run_forever(self, idle_seconds: float = 1.0) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be briefly away; try again
                log.exception("outbox sender round failed")
            await asyncio.sleep(idle_seconds)

    async def _deliver(self, row: OutboxMessage) -> str:
        try:
            await self._send(row)
        except TelegramRetryAfter as exc:
            self.stats["retry_after"] += 1
            self.limiter.pause(exc.retry_after)
            return "retry_after"
        except TelegramForbiddenError as exc:
            self.stats["unreachable"] += 1
            await self._unreachable(row, str(exc))
            return "unreachable"
        except (TelegramServerError, TelegramNetworkError, OSError) as exc:
            self.stats["errors"] += 1
            await self._retry_later(row, str(exc))
            return "retry"
        except TelegramBadRequest as exc:  # our message is wrong: retrying cannot help
            await self._mark(row.id, status="failed", last_error=str(exc)[:500])
            return "failed"
        await self._mark(row.id, status="sent", sent_at=self.clock.now())
        self.stats["sent"] += 1
        return "sent"

    async def _send(self, row: OutboxMessage) -> None:
        markup = InlineKeyboardMarkup.model_validate(row.markup) if row.markup else None
        await self.bot.send_message(row.chat_id, row.text, reply_markup=markup)
        for document in row.documents:
            await self.bot.send_document(row.chat_id, FSInputFile(document["path"], filename=document.get("name")))

    async def _mark(self, row_id: int, **values: object) -> None:
        # A connection, not an ORM session: this runs once per message sent. A message Telegram
        # took must not stay "pending" over a passing database hiccup, or it would go out twice.
        for attempt in range(MARK_ATTEMPTS):
            try:
                async with self.sessionmaker.kw["bind"].begin() as conn:
                    await conn.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values))
                return
            except OperationalError:
                if attempt == MARK_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.2 * (attempt + 1))

    async def _retry_later(self, row: OutboxMessage, error: str) -> None:
        attempts = row.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            await self._mark(row.id, status="failed", attempts=attempts, last_error=error[:500])
            return
        delay = timedelta(seconds=min(2 ** attempts, 3600))
        await self._mark(row.id, attempts=attempts, next_attempt_at=self.clock.now() + delay, last_error=error[:500])

    async def _unreachable(self, row: OutboxMessage, error: str) -> None:
        now = self.clock.now()
        async with self.sessionmaker() as session:
            repos = Repos(session)
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id)
                                  .values(status="unreachable", last_error=error[:500]))
            user = await session.get(User, row.user_id)
            if user is not None and user.unreachable_at is None:
                user.unreachable_at = now
                notices = Notices(repos, self.clock, self.policy, self.zone, self.default_language)
                for admin in await county_admins_of(repos, user):
                    await notices.unreachable(admin, user)
            await session.commit()
