"""A person talking to a running `tepai` process through the local Bot API server: updates go in
by polling (queued on the server) or by webhook (posted), and each step waits for the bot's answer
among the methods the server saw."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from itertools import count
from typing import Any

from testkit import images
from testkit.fakes.bot_api import FakeBotApi

Deliver = Callable[[dict[str, Any]], Awaitable[None]]


async def wait_for(predicate: Callable[[], bool], timeout: float = 30) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.05)
    await asyncio.wait_for(poll(), timeout)


def polled(api: FakeBotApi) -> Deliver:
    async def deliver(update: dict[str, Any]) -> None:
        api.pending.append(update)
    return deliver


@dataclass
class ApiPerson:
    api: FakeBotApi
    deliver: Deliver
    user: int
    update_ids: Iterator[int] | None = None  # default: from user * 1000 on

    def __post_init__(self) -> None:
        if self.update_ids is None:
            self.update_ids = count(self.user * 1000)

    async def step(self, update: dict[str, Any], expect: str, timeout: float = 30) -> None:
        """Send `update` and wait until the bot says something holding `expect`."""
        before = len(self.api.calls)
        await self.deliver(update)
        await wait_for(lambda: any(expect in (p.get("text") or "") for _, p in self.api.calls[before:]), timeout)

    def text(self, text: str) -> dict[str, Any]:
        return FakeBotApi.text_update(next(self.update_ids), self.user, text)

    def message(self, **content: Any) -> dict[str, Any]:
        return FakeBotApi.message_update(next(self.update_ids), self.user, **content)

    def tap(self, label: str, message_id: int = 1) -> dict[str, Any]:
        return FakeBotApi.callback_update(next(self.update_ids), self.user, self.api.button(label), message_id)

    def screenshot(self, file_id: str = "shot1") -> dict[str, Any]:
        """A screenshot sent as a document (the server serves its bytes through getFile)."""
        self.api.files[file_id] = images.png(3)
        return self.message(document={"file_id": file_id, "file_unique_id": f"u-{file_id}",
                                      "file_name": "screenshot.png", "mime_type": "image/png"})


DESCRIPTION = "远程视频指导窑炉温控参数设置，解决了升温曲线不稳定的问题。"


async def online_visit_until_upload(person: ApiPerson, description: str = DESCRIPTION) -> None:
    """C001's online visit at 阳泉华鑫 (the example programme), up to the request for screenshots."""
    await person.step(person.text("/visit"), "哪家企业")
    await person.step(person.tap("阳泉华鑫"), "类型")
    await person.step(person.tap("技术指导"), "现场服务还是线上服务")
    await person.step(person.tap("线上服务"), "服务日期")
    await person.step(person.tap("今天"), "做了什么")
    await person.step(person.message(text=description), "截图")


async def finish_online_visit(person: ApiPerson) -> None:
    """From the request for screenshots to the stored visit."""
    await person.step(person.screenshot(), "已收到 1 个")
    await person.step(person.tap("✅ 完成"), "请核对服务记录")
    card = person.api.last_message_id  # the card is the newest message; confirm is pressed on it
    await person.step(person.tap("✅ 确认提交", card), "本年度第 1 次服务")
