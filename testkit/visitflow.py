"""Walk the /visit conversation in tests, step by step, through the real Dispatcher."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiogram.types import Update

from testkit.botkit import Harness, Person, buttons, message_id_of, texts


@dataclass
class Walk:
    """One person's conversation: what they pressed and sent, and everything the bot answered."""

    harness: Harness
    person: Person
    seen: list[Any] = field(default_factory=list)  # every request the bot made, in order

    async def feed(self, update: Update) -> list[Any]:
        requests = await self.harness.feed(update)
        self.seen += requests
        return requests

    async def send(self, text: str) -> list[str]:
        return texts(await self.feed(self.harness.message(self.person, text)))

    async def press(self, label: str) -> list[Any]:
        """Press the newest button whose text starts with `label`, on the message that shows it."""
        return await self.feed(self.tap(label))

    def tap(self, label: str) -> Update:
        """The update pressing `label` sends (see `press`), not yet fed."""
        data, message_id = self.button_on(label)
        return self.harness.callback(self.person, data, message_id)

    async def press_on(self, containing: str, label: str) -> list[Any]:
        """Press `label` on the newest message whose text holds `containing` (one of several cards)."""
        for request in reversed(self.seen):
            if containing in (getattr(request, "text", None) or ""):
                data = next((d for text, d in buttons([request]).items() if text.startswith(label)), None)
                if data is not None:
                    return await self.feed(self.harness.callback(self.person, data, message_id_of(request)))
        raise AssertionError(f"no button {label!r} on a message with {containing!r}")

    def button(self, label: str) -> str:
        return self.button_on(label)[0]

    def button_on(self, label: str) -> tuple[str, int]:
        for request in reversed(self.seen):
            for text, data in buttons([request]).items():
                if text.startswith(label):
                    return data, message_id_of(request)
        raise AssertionError(f"no button {label!r} among {list(buttons(self.seen))}")

    def last_text(self) -> str:
        return texts(self.seen)[-1]


async def to_summary(walk: Walk, enterprise: str | None, kind: str = "技术指导", mode: str = "现场服务",
                     day: str = "今天") -> None:
    await walk.send("/visit")
    if enterprise is not None:
        await walk.press(enterprise)
    await walk.press(kind)
    await walk.press(mode)
    await walk.press(day)


SUMMARY = "现场调试回转窑温控系统，解决了耐火砖过早剥落的问题，并培训了两名操作工。"


async def to_card(walk: Walk, enterprise: str | None, photo: bytes, location: tuple[float, float],
                  file_id: str = "photo") -> None:
    """An on-site visit told up to its summary card: one photo, then the location."""
    await to_summary(walk, enterprise)
    await walk.send(SUMMARY)
    await walk.feed(walk.harness.photo(walk.person, photo, file_id))
    await walk.press("✅ 完成")
    await walk.feed(walk.harness.location(walk.person, *location, accuracy=10.0))  # the phone's position
