"""Replies leave after the update's transaction commits.

A handler's `message.answer(...)`, `query.answer(...)` and edits are queued while the update is
handled and sent once its transaction has committed (bot/middlewares/session.py). So no reply
waits on Telegram while the update holds SQLite's write lock (another user's update would wait
behind it), a reply never announces a change that then rolls back, and an update retried after a
lock timeout says nothing twice.

A call whose result the handler needs (a message id to edit later, a progress message before a
long report) goes out at once through `now(...)`. Such a call belongs before the handler's first
write. Other methods (getFile, sending documents) are never queued. Whatever goes out at once is
preceded by the replies queued before it, so people see them in the order the handler made them.

In webhook mode the update's first queued callback answer is not sent at all: it rides in the
webhook's 200 response (`answer_in_response`, bot/webhook.py), which Telegram runs as a call of
its own. A button tap then costs one request fewer. Its result (only ever True) is never known,
and nothing needs it; a call made at once keeps its own request, since its result is needed.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable
from contextvars import ContextVar
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    SendMessage,
    TelegramMethod,
)

log = logging.getLogger(__name__)

QUEUED_METHODS = (SendMessage, EditMessageText, EditMessageReplyMarkup, EditMessageCaption,
                  AnswerCallbackQuery, DeleteMessage)
T = TypeVar("T")


class NotSentYet:
    """What a queued call returns: using it as the sent message is a mistake `now` prevents."""

    def __init__(self, method: TelegramMethod[Any]) -> None:
        self._method = type(method).__name__

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"{self._method} is sent after the commit; wrap it in bot.replies.now(...) "
                           f"to read .{name} from its result")


class AnsweredInResponse:
    """The one call a webhook response may carry: the update's first callback answer queued to go
    out after the commit. Closed once the response is written; a later answer goes out itself."""

    def __init__(self) -> None:
        self.method: AnswerCallbackQuery | None = None
        self.open = True

    def take(self, method: TelegramMethod[Any]) -> bool:
        if self.open and self.method is None and isinstance(method, AnswerCallbackQuery):
            self.method = method
            return True
        return False

    def close(self) -> AnswerCallbackQuery | None:
        self.open = False
        return self.method

    async def carried(self, bot: Bot, returned: Any) -> TelegramMethod[Any] | None:
        """What the response carries, once the update is handled: a method the handler returned
        (aiogram's own way to answer in the response), else the callback answer kept. An answer
        that does not fit goes out as a request."""
        answer = self.close()
        if not isinstance(returned, TelegramMethod):
            return answer
        if answer is not None:
            await _send_committed(bot, answer)
        return returned


class UpdateReplies:
    """The calls queued while one update is handled."""

    def __init__(self) -> None:
        self.queued: list[tuple[Bot, TelegramMethod[Any]]] = []
        self.open = True  # closed once sent or dropped: later calls (a task it started) go straight out

    async def send(self) -> None:
        """Send the queued calls in order; a failure is logged and the rest still go out."""
        self.open = False
        queued, self.queued = self.queued, []
        in_response = _in_response.get()
        for bot, method in queued:
            if in_response is None or not in_response.take(method):
                await _send_committed(bot, method)

    async def send_queued_now(self, bot_call) -> None:  # noqa: ANN001 - the next request middleware
        """Before a call that goes out at once: what was queued before it, in order."""
        queued, self.queued = self.queued, []
        for bot, method in queued:
            await bot_call(bot, method)

    def drop(self) -> None:
        """The update rolled back: what it would have said is void."""
        self.open = False
        self.queued.clear()


_replies: ContextVar[UpdateReplies | None] = ContextVar("tepai_update_replies", default=None)
_now: ContextVar[bool] = ContextVar("tepai_reply_now", default=False)
_in_response: ContextVar[AnsweredInResponse | None] = ContextVar("tepai_answer_in_response", default=None)


def begin_update():  # noqa: ANN201 - a contextvars.Token
    """Queue replies in this task until `end_update`; returns (the queue, the token)."""
    replies = UpdateReplies()
    return replies, _replies.set(replies)


def end_update(token) -> None:  # noqa: ANN001
    _replies.reset(token)


@contextlib.asynccontextmanager
async def answer_in_response(bot: Bot) -> AsyncIterator[AnsweredInResponse]:
    """While the block handles one webhook update: its callback answer is kept for the response
    (`carried`). If the block fails after the update committed (the response is then a 500,
    carrying nothing), the answer goes out as a request instead."""
    in_response = AnsweredInResponse()
    token = _in_response.set(in_response)
    try:
        yield in_response
    except Exception:
        if (method := in_response.close()) is not None:
            await _send_committed(bot, method)
        raise
    finally:
        in_response.close()
        _in_response.reset(token)


async def _send_committed(bot: Bot, method: TelegramMethod[Any]) -> None:
    """A reply of a committed update: a failure is logged, and what follows still goes out."""
    try:
        await bot(method)
    except Exception:
        log.exception("reply %s failed after the update committed", type(method).__name__)


async def now(call: Awaitable[T]) -> T:
    """Send this call at once (after what is queued before it) and return its result."""
    token = _now.set(True)
    try:
        return await call
    finally:
        _now.reset(token)


class QueueReplies(BaseRequestMiddleware):
    """The Bot session middleware that queues replies during an update (see the module doc)."""

    async def __call__(self, make_request: NextRequestMiddlewareType[Any], bot: Bot,
                       method: TelegramMethod[Any]) -> Any:
        replies = _replies.get()
        if replies is None or not replies.open:
            return await make_request(bot, method)
        if _now.get() or not isinstance(method, QUEUED_METHODS):
            await replies.send_queued_now(make_request)
            return await make_request(bot, method)
        replies.queued.append((bot, method))
        return NotSentYet(method)
