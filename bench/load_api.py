"""The load benchmark's stand-in for Telegram's Bot API, run in its own process.

It answers every method the visit conversation calls, serves each simulated photo through
getFile and the file download, and remembers the newest inline keyboard shown in each chat, which
the load generator reads (GET /keyboard/<chat>) to press the buttons a person would see.
"""
from __future__ import annotations

import json
import struct
from collections import Counter
from typing import Any

from aiohttp import web

from testkit import images
from testkit.fakes.bot_api import FakeBotApi

PHOTO_POOL = 32  # distinct pictures; each conversation's photo is one of them made unique by a comment


def photo_id(n: int) -> str:
    return f"load-{n}"


def _unique(jpeg: bytes, n: int) -> bytes:
    """The JPEG with a comment segment (COM) after its start marker: other bytes, the same picture."""
    comment = f"load {n}".encode()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + jpeg[2:]


class LoadBotApi(FakeBotApi):
    def __init__(self) -> None:
        super().__init__()
        self.pool = [images.jpeg(seed, size=(1280, 960)) for seed in range(PHOTO_POOL)]
        self.keyboards: dict[int, dict[str, Any]] = {}  # chat -> {"message_id", "buttons": {text: data}}
        self.methods: Counter[str] = Counter()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/keyboard/{chat}", self._keyboard)
        app.router.add_get("/methods", self._methods)  # the calls so far, between two runs

    def stats(self) -> dict:
        return {"methods": dict(self.methods)}

    def photo(self, file_id: str) -> bytes:
        n = int(file_id.rsplit("-", 1)[1])
        return _unique(self.pool[n % PHOTO_POOL], n)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = dict(await request.post())
        self.methods[method] += 1
        result = await self._result(method, params)
        if method in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            message_id = result["message_id"] if isinstance(result, dict) else int(params["message_id"])
            self._remember(int(params["chat_id"]), message_id, params.get("reply_markup"))
        return web.json_response({"ok": True, "result": result})

    async def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getFile":
            file_id = params["file_id"]
            return {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": len(self.photo(file_id)),
                    "file_path": f"photos/{file_id}.jpg"}
        return await super()._result(method, params)

    async def _file(self, request: web.Request) -> web.Response:
        self.methods["file download"] += 1
        return web.Response(body=self.photo(request.match_info["path"].rsplit("/", 1)[-1].removesuffix(".jpg")))

    def _remember(self, chat: int, message_id: int, markup: str | None) -> None:
        rows = json.loads(markup or "{}").get("inline_keyboard")
        if rows:
            self.keyboards[chat] = {"message_id": message_id,
                                    "buttons": {b["text"]: b["callback_data"] for row in rows for b in row}}
        elif self.keyboards.get(chat, {}).get("message_id") == message_id:
            del self.keyboards[chat]  # its buttons were taken away

    async def _methods(self, request: web.Request) -> web.Response:  # noqa: ARG002
        return web.json_response(dict(self.methods))

    async def _keyboard(self, request: web.Request) -> web.Response:
        return web.json_response(self.keyboards.get(int(request.match_info["chat"]), {}))
