"""Drive a real Dispatcher with `feed_update` and a Bot whose session records every request.

No network: the recording session answers each Bot API method with a plausible result, the way
aiogram's own tests/mocked_bot.py does, and keeps the requests so tests can assert what users see.
"""
from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    GetMe,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import (
    CallbackQuery,
    Chat,
    Document,
    File,
    InlineKeyboardMarkup,
    Location,
    Message,
    MessageOriginUser,
    PhotoSize,
    Sticker,
    Update,
    User,
)

from bot.factory import create_bot, create_dispatcher

BOT_ID = 123456
BOT_TOKEN = f"{BOT_ID}:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
BOT_USER = User(id=BOT_ID, is_bot=True, first_name="特派", username="tepai_test_bot")


class RecordingSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self.files: dict[str, bytes] = {}  # file_id -> bytes served by getFile + download
        self._message_ids = itertools.count(1000)

    async def close(self) -> None:
        return None

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None) -> Any:
        self.requests.append(method)
        now = datetime.now(timezone.utc)
        if isinstance(method, GetMe):
            return BOT_USER
        if isinstance(method, SendMessage):
            inline = method.reply_markup if isinstance(method.reply_markup, InlineKeyboardMarkup) else None
            method._sent_message_id = next(self._message_ids)  # which message a button is on
            return Message(message_id=method._sent_message_id, date=now,
                           chat=Chat(id=int(method.chat_id), type="private"), from_user=BOT_USER,
                           text=method.text, reply_markup=inline).as_(bot)
        if isinstance(method, GetFile):
            data = self.files[method.file_id]
            return File(file_id=method.file_id, file_unique_id=f"u-{method.file_id}", file_size=len(data),
                        file_path=f"files/{method.file_id}")
        if isinstance(method, EditMessageText):
            return Message(message_id=method.message_id or 0, date=now,
                           chat=Chat(id=int(method.chat_id or 0), type="private"), from_user=BOT_USER,
                           text=method.text, reply_markup=method.reply_markup).as_(bot)
        return True

    async def stream_content(self, url: str, headers: dict[str, Any] | None = None, timeout: int = 30,
                             chunk_size: int = 65536, raise_for_status: bool = True) -> AsyncGenerator[bytes, None]:
        data = self.files[url.rsplit("/", 1)[-1]]
        for start in range(0, len(data), chunk_size):
            yield data[start:start + chunk_size]


@dataclass
class Person:
    id: int
    first_name: str = "Test"
    last_name: str | None = None
    language_code: str | None = "zh-hans"

    @property
    def tg(self) -> User:
        return User(id=self.id, is_bot=False, first_name=self.first_name, last_name=self.last_name,
                    language_code=self.language_code)


@dataclass
class Harness:
    """One bot and one dispatcher over a real database; feed it what people send."""

    dp: Dispatcher
    bot: Bot
    session: RecordingSession
    sessionmaker: Any = None  # the database the dispatcher works on, for assertions
    _update_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def build(cls, **dispatcher_kwargs: Any) -> "Harness":
        session = RecordingSession()
        bot = create_bot(BOT_TOKEN, session=session)
        return cls(dp=create_dispatcher(**dispatcher_kwargs), bot=bot, session=session,
                   sessionmaker=dispatcher_kwargs.get("sessionmaker"))

    def state_key(self, person: Person) -> StorageKey:
        """Where the person's conversation state (FSM) is kept, to read or forge it in tests."""
        return StorageKey(bot_id=self.bot.id, chat_id=person.id, user_id=person.id)

    def message(self, person: Person, text: str | None, chat_type: str = "private", **extra: Any) -> Update:
        chat = Chat(id=person.id if chat_type == "private" else -100_000 - person.id, type=chat_type)
        msg = Message(message_id=next(self._message_ids), date=datetime.now(timezone.utc), chat=chat,
                      from_user=person.tg, text=text, **extra)
        return Update(update_id=next(self._update_ids), message=msg)

    def callback(self, person: Person, data: str, message_id: int = 1) -> Update:
        chat = Chat(id=person.id, type="private")
        origin = Message(message_id=message_id, date=datetime.now(timezone.utc), chat=chat, from_user=BOT_USER,
                         text="…")
        query = CallbackQuery(id=str(next(self._update_ids)), from_user=person.tg, chat_instance="ci",
                              data=data, message=origin)
        return Update(update_id=next(self._update_ids), callback_query=query)

    def photo(self, person: Person, data: bytes, file_id: str, *, media_group_id: str | None = None,
              forwarded: bool = False, file_size: int | None = None) -> Update:
        """A compressed Telegram photo (what the camera button sends)."""
        self.session.files[file_id] = data
        size = PhotoSize(file_id=file_id, file_unique_id=f"u-{file_id}", width=1280, height=960,
                         file_size=file_size or len(data))
        return self.message(person, None, photo=[size], media_group_id=media_group_id,
                            forward_origin=_forwarded(person) if forwarded else None)

    def document(self, person: Person, data: bytes, file_id: str, *, name: str = "IMG_0001.jpg",
                 mime: str | None = "image/jpeg", media_group_id: str | None = None,
                 file_size: int | None = None) -> Update:
        """A file as sent with "send as file": the bytes arrive unchanged, EXIF included."""
        self.session.files[file_id] = data
        doc = Document(file_id=file_id, file_unique_id=f"u-{file_id}", file_name=name, mime_type=mime,
                       file_size=file_size or len(data))
        return self.message(person, None, document=doc, media_group_id=media_group_id)

    def location(self, person: Person, lat: float, lon: float, *, accuracy: float | None = None,
                 live_period: int | None = None, forwarded: bool = False) -> Update:
        loc = Location(latitude=lat, longitude=lon, horizontal_accuracy=accuracy, live_period=live_period)
        return self.message(person, None, location=loc, forward_origin=_forwarded(person) if forwarded else None)

    def sticker(self, person: Person) -> Update:
        sticker = Sticker(file_id="stk", file_unique_id="u-stk", type="regular", width=512, height=512,
                          is_animated=False, is_video=False)
        return self.message(person, None, sticker=sticker)

    async def drain(self) -> int:
        """Deliver the outbox now, as the running sender would (no rate waits in tests)."""
        from scheduler.sender import OutboxSender

        sender = OutboxSender(self.sessionmaker, self.bot, self.dp["clock"], self.dp["policy"], self.dp["zone"],
                              per_second=1e6, per_chat_interval=0, evidence=self.dp["evidence_store"])
        return await sender.run_once()

    async def feed(self, update: Update) -> list[TelegramMethod[Any]]:
        """Feed one update; return the requests the bot made while handling it."""
        before = len(self.session.requests)
        await self.dp.feed_update(self.bot, update)
        return self.session.requests[before:]

    async def send(self, person: Person, text: str, **extra: Any) -> list[str]:
        """What the person sees after sending `text`: the texts of messages sent and edited."""
        return texts(await self.feed(self.message(person, text, **extra)))

    async def press(self, person: Person, data: str, message_id: int = 1) -> list[TelegramMethod[Any]]:
        return await self.feed(self.callback(person, data, message_id))


def _forwarded(person: Person) -> MessageOriginUser:
    other = User(id=person.id + 1, is_bot=False, first_name="Someone")
    return MessageOriginUser(type="user", date=datetime(2026, 1, 1, tzinfo=timezone.utc), sender_user=other)


def markups(requests: list[TelegramMethod[Any]]) -> list[Any]:
    return [r.reply_markup for r in requests
            if isinstance(r, (SendMessage, EditMessageText, EditMessageReplyMarkup))]


def buttons(requests: list[TelegramMethod[Any]]) -> dict[str, str]:
    """Inline button text -> callback data, over every message in `requests`."""
    out: dict[str, str] = {}
    for markup in markups(requests):
        if isinstance(markup, InlineKeyboardMarkup):
            for row in markup.inline_keyboard:
                for button in row:
                    out[button.text] = button.callback_data
    return out


def message_id_of(request: TelegramMethod[Any]) -> int:
    """The id of the message a request sent or edited (buttons are pressed on that message)."""
    return getattr(request, "_sent_message_id", None) or getattr(request, "message_id", None) or 1


def texts(requests: list[TelegramMethod[Any]]) -> list[str]:
    return [r.text for r in requests if isinstance(r, (SendMessage, EditMessageText))]


def alerts(requests: list[TelegramMethod[Any]]) -> list[str]:
    return [r.text or "" for r in requests if isinstance(r, AnswerCallbackQuery)]
