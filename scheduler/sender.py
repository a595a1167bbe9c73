"""The sender: delivers the outbox within Telegram's limits.

At most `per_second` messages a second overall and one every `per_chat_interval` seconds to a
chat; RetryAfter pauses everything for as long as Telegram asks; server and network errors are
retried with backoff; 403 marks the person unreachable and tells their county admin once.
A message is marked sent in the same shielded step that sent it, so stopping the sender between
messages (a restart, a crash of the task) neither repeats nor skips one.

Rows are claimed before they are sent (scheduler/claims.py), so two senders never send one row.
A message is its text and then each document; each part Telegram takes is recorded before the
next, so a retry sends only what is missing.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
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
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock
from domain.policy import Policy
from domain.quiet import in_quiet_hours, parse_hhmm
from messages.notices import Notices
from scheduler import undeliverable
from scheduler.attachments import MissingAttachment, check_present, input_file
from scheduler.claims import CLAIM_TTL, ClaimLapsing, Claims
from scheduler.lease import process_name
from scheduler.rate_limit import RateLimiter
from storage.evidence_store import EvidenceStore
from storage.models import OutboxMessage
from storage.repositories import OutboxRepo, Repos

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
MARK_ATTEMPTS = 5
REQUEST_TIMEOUT_S = 30.0  # the longest one Telegram call may take
MARK_MARGIN = timedelta(seconds=5)  # and marking its row (MARK_ATTEMPTS with their pauses)

__all__ = ["OutboxSender", "RateLimiter"]


class OutboxSender:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], bot: Bot, clock: Clock, policy: Policy,
                 zone: ZoneInfo, per_second: float = 30.0, per_chat_interval: float = 1.0, batch: int = 500,
                 default_language: str = "zh", in_flight: int = 8, owner: str | None = None,
                 claim_ttl: timedelta = CLAIM_TTL, request_timeout: float = REQUEST_TIMEOUT_S,
                 evidence: EvidenceStore | None = None) -> None:
        """`evidence`: where documents named by their content address are read."""
        self.sessionmaker, self.bot, self.clock, self.policy, self.zone = sessionmaker, bot, clock, policy, zone
        self.evidence = evidence
        self.limiter = RateLimiter(per_second, per_chat_interval)
        self.batch = batch
        self.in_flight = in_flight
        self.request_timeout = request_timeout
        # A part starts only while its claim outlasts the call and its mark: none lapses on the way.
        self.claims = Claims(sessionmaker, clock, owner or process_name(), claim_ttl,
                             needs_left=timedelta(seconds=request_timeout) + MARK_MARGIN)
        self.default_language = default_language
        self.stats = {"sent": 0, "retry_after": 0, "errors": 0, "unreachable": 0}

    def _quiet_now(self) -> bool:
        rules = self.policy.notifications
        return in_quiet_hours(self.clock.now().astimezone(self.zone), parse_hhmm(rules.quiet_start),
                              parse_hhmm(rules.quiet_end))

    async def run_once(self, until: asyncio.Event | None = None) -> int:
        """Deliver everything due now (in rate); returns how many were sent.

        Up to `in_flight` messages are on their way at once, their starts spaced by the limiter,
        so a slow round trip does not cost throughput. Once `until` is set (the process stops) no
        more rows are taken: the batch at hand goes out and the rows fetched ahead are let go.
        """
        stopping = until.is_set if until is not None else (lambda: False)
        if self._quiet_now():
            return 0
        handled: set[int] = set()  # picked up in this run: never fetched and sent again
        queue: list[OutboxMessage] = []
        tasks: dict[asyncio.Task, int] = {}  # on their way: task -> row id
        # The next batch is fetched while the last quarter of this one goes out, so the sender
        # never stands idle waiting for the database between batches.
        prefetch: asyncio.Future[list[OutboxMessage]] | None = None
        newest = prefetched_after = 0  # the highest id picked up; the one the last prefetch read past
        sent = 0
        let_go = False  # claims to release on the way out (rows not started)

        async def fetch(after_id: int = 0) -> list[OutboxMessage]:
            nonlocal newest
            fresh = [r for r in await self.claims.take(self.batch, after_id) if r.id not in handled]
            handled.update(r.id for r in fresh)
            newest = max([newest, *(r.id for r in fresh)])
            return fresh

        def finished(task: asyncio.Task, row: OutboxMessage) -> None:
            nonlocal sent, let_go
            tasks.pop(task, None)
            if task.cancelled() or task.exception() is not None:
                return
            if task.result() == "retry_after":
                queue.append(row)  # Telegram asked us to wait: this one goes again after the pause
            let_go |= task.result() == "claim_lapsing"
            sent += task.result() == "sent"

        try:
            while True:
                if not queue and stopping():
                    let_go = True  # rows fetched ahead are claimed: hand them back
                    if tasks:
                        await asyncio.wait(tasks)
                    break
                if not queue:
                    fresh = await prefetch if prefetch is not None else []
                    prefetch = None
                    if not fresh:  # also picks up retries that came due, whatever their ids
                        fresh = await fetch()
                    if not fresh:
                        if not tasks:
                            break
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
                tasks[task] = row.id
                task.add_done_callback(lambda done, row=row: finished(done, row))
        except BaseException:
            let_go = True  # stopped (the lease was lost, shutdown) or failed: hand back what waits
            if tasks and not isinstance(sys.exc_info()[1], asyncio.CancelledError):
                # Let the deliveries already with Telegram be marked before anyone runs again, or
                # a next round would find their rows still pending and send them twice.
                await asyncio.wait(tasks)
            raise
        finally:
            if prefetch is not None:
                prefetch.cancel()
                with contextlib.suppress(BaseException):
                    await prefetch
            if let_go:  # rows claimed and not started (queued, fetched ahead, or too late to start)
                await self.claims.release(set(tasks.values()))
        return sent

    def _next(self, queue: list[OutboxMessage]) -> OutboxMessage:
        """The oldest message whose chat may receive now; else the one whose chat is free soonest.
        (In a fan-out every chat is free, so this is the head of the queue: no scan.)"""
        now = max(self.limiter.now(), self.limiter.global_ready())
        for row in queue:
            if self.limiter.next_chat.get(row.chat_id, 0.0) <= now:
                return row
        return min(queue, key=lambda r: (self.limiter.ready_at(r.chat_id), r.id))

    async def run_forever(self, idle_seconds: float = 1.0, until: asyncio.Event | None = None) -> None:
        """Round after round until cancelled, or until `until` is set and the batch at hand is out."""
        until = until or asyncio.Event()
        while not until.is_set():
            try:
                await self.run_once(until)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be briefly away; try again
                log.exception("outbox sender round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(until.wait(), idle_seconds)

    async def _deliver(self, row: OutboxMessage) -> str:
        try:
            await self._send(row)
        except ClaimLapsing:
            return "claim_lapsing"
        except (MissingAttachment, FileNotFoundError) as exc:  # no retry brings a lost file back
            await self._missing_attachment(row, exc.filename)
            return "failed"
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
        await self._mark(row.id, status="sent", sent_at=self.clock.now(), parts_sent=row.parts_sent)
        self.stats["sent"] += 1
        return "sent"

    async def _send(self, row: OutboxMessage) -> None:
        """The parts not delivered yet: the text, then each document. Each part Telegram takes is
        recorded before the next is sent, so a retry (a 5xx on the third document) sends only
        what is missing, never the text again."""
        documents = row.documents or []
        first = max(row.parts_sent - 1, 0)  # the first document not delivered yet
        for document in documents[first:]:  # all there before anything is sent
            await check_present(document, self.evidence)
        for part in range(row.parts_sent, 1 + len(documents)):
            if not self.claims.cover(row):
                raise ClaimLapsing
            if part == 0:
                markup = InlineKeyboardMarkup.model_validate(row.markup) if row.markup else None
                await self.bot.send_message(row.chat_id, row.text, reply_markup=markup,
                                            request_timeout=self.request_timeout)
            else:
                # Read now, not with the others up front: a report's files (up to 5 x 20 MB) for each
                # of the messages under way would otherwise all sit in memory at once.
                await self.bot.send_document(row.chat_id, await input_file(documents[part - 1], self.evidence),
                                             request_timeout=self.request_timeout)
            row.parts_sent = part + 1
            if row.parts_sent <= len(documents):  # more to come: the last part is recorded with "sent"
                await self._mark(row.id, parts_sent=row.parts_sent)

    async def _mark(self, row_id: int, **values: object) -> None:
        # A connection, not an ORM session: this runs once per message sent. A message Telegram
        # took must not stay "pending" over a passing database hiccup, or it would go out twice.
        for attempt in range(MARK_ATTEMPTS):
            try:
                async with self.sessionmaker.kw["bind"].begin() as conn:
                    await OutboxRepo(conn).mark(row_id, **values)
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
        await self._mark(row.id, attempts=attempts, next_attempt_at=self.clock.now() + delay, last_error=error[:500],
                         claimed_by=None, claimed_until=None)  # any sender may take it when it is due

    async def _missing_attachment(self, row: OutboxMessage, path: str | None) -> None:
        log.error("outbox message %s: attachment %s is missing; not retried", row.id, path)
        async with self.sessionmaker() as session:
            await undeliverable.missing_attachment(self._notices(session), row, path)
            await session.commit()

    async def _unreachable(self, row: OutboxMessage, error: str) -> None:
        async with self.sessionmaker() as session:
            await undeliverable.unreachable(self._notices(session), row, error)
            await session.commit()

    def _notices(self, session: AsyncSession) -> Notices:
        return Notices(Repos(session), self.clock, self.policy, self.zone, self.default_language)
