"""Receiving a photo or file from a message into the evidence store (visits, reports, outcomes)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Document, InlineKeyboardMarkup, Message, PhotoSize

from bot.replies import now
from domain.clock import Clock
from domain.uploads import MAX_BYTES, UploadRejected
from services import visits
from storage.evidence_store import EvidenceStore
from storage.repositories import Repos

if TYPE_CHECKING:  # names for annotations only: handlers do not touch the tables
    from storage.models import StoredFile

IMAGE_MIME = ("image/jpeg", "image/png", "image/webp")


def upload_of(message: Message) -> tuple[PhotoSize | Document, bool, str | None]:
    """The item to fetch (the largest photo size Telegram made, or the file), whether it is an
    image, and the sender's file name."""
    if message.photo:
        return message.photo[-1], True, None
    document = message.document
    return document, (document.mime_type or "") in IMAGE_MIME, document.file_name


async def show_count(message: Message, bot: Bot, text: str, markup: InlineKeyboardMarkup,
                     counter_id: int | None) -> int:
    """The files received so far, in one message: an album comes one update a file, so the first
    sends the message and the next ones edit it. Returns the message's id, so the first is sent at
    once: call this before the update writes anything (after `fetch`, before `record`)."""
    if counter_id is None:
        return (await now(message.answer(text, reply_markup=markup))).message_id
    await bot.edit_message_text(text, chat_id=message.chat.id, message_id=counter_id, reply_markup=markup)
    return counter_id


async def receive(message: Message, bot: Bot, store: EvidenceStore, repos: Repos, clock: Clock) -> StoredFile:
    """Fetch through getFile and keep it; raises UploadRejected (too_big, not_image, corrupt …)."""
    return await visits.record_upload(repos, clock, await fetch(message, bot, store))


async def fetch(message: Message, bot: Bot, store: EvidenceStore) -> dict:
    """Download through getFile and keep the bytes in the evidence store, writing no row yet: the
    network and the decode stay outside the update's write transaction. Raises UploadRejected."""
    item, as_image, name = upload_of(message)
    if item.file_size and item.file_size > MAX_BYTES:
        raise UploadRejected("too_big")  # refused before downloading anything
    try:
        file = await bot.get_file(item.file_id)
        data = (await bot.download_file(file.file_path)).getvalue()
    except TelegramBadRequest:  # "file is too big" and friends
        raise UploadRejected("too_big") from None
    return await visits.store_upload(store, data, as_image=as_image, file_name=name)
