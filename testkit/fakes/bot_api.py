"""A tiny local Bot API server (aiohttp) for end-to-end runs of `tepai run`: it serves queued
updates through getUpdates and records every method the bot calls. Loopback only."""
from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import ClientResponse, MultipartReader, web

BOT_USER = {"id": 123456, "is_bot": True, "first_name": "特派", "username": "tepai_e2e_bot"}


class FakeBotApi:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.pending: list[dict[str, Any]] = []
        self._next_message_id = 5000
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.got_message = asyncio.Event()
        self.files: dict[str, bytes] = {}  # file_id -> bytes, served through getFile + /file/
        self.refuse_token = False  # answer every method 401 Unauthorized, as for a revoked token
        # Seconds to take over a method (or "file", a download): a slow Telegram, for work in flight.
        self.delay: dict[str, float] = {}

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - the port we were given
        return f"http://127.0.0.1:{self.port}"

    def add_routes(self, app: web.Application) -> None:
        """More routes, for a subclass."""

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        form = await request.post()
        params = {k: v for k, v in form.items()}
        self.calls.append((method, params))
        await asyncio.sleep(self.delay.get(method, 0))
        if self.refuse_token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        return web.json_response({"ok": True, "result": await self._result(method, params)})

    async def _file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        self.calls.append(("file", {"file_id": file_id}))
        await asyncio.sleep(self.delay.get("file", 0))
        data = self.files.get(file_id)
        return web.Response(body=data) if data is not None else web.Response(status=404)

    async def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getFile":
            file_id = params["file_id"]
            return {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": len(self.files[file_id]),
                    "file_path": f"documents/{file_id}"}
        if method == "getUpdates":
            if self.pending:
                updates, self.pending = self.pending, []
                return updates
            await asyncio.sleep(0.2)  # a short long-poll
            return []
        if method == "sendMessage":
            self._next_message_id += 1
            self.got_message.set()
            return {"message_id": self._next_message_id, "date": 0,
                    "chat": {"id": int(params["chat_id"]), "type": "private"},
                    "from": BOT_USER, "text": params.get("text", "")}
        return True

    @property
    def last_message_id(self) -> int:
        return self._next_message_id

    def sent_texts(self) -> list[str]:
        return [p.get("text", "") for m, p in self.calls if m == "sendMessage"]

    def button(self, label: str) -> str:
        """The callback data of the newest inline button whose text starts with `label`."""
        for method, params in reversed(self.calls):
            markup = json.loads(params.get("reply_markup") or "{}")
            for row in markup.get("inline_keyboard", []):
                for b in row:
                    if b["text"].startswith(label):
                        return b["callback_data"]
        raise AssertionError(f"no button {label!r}")

    @staticmethod
    def callback_update(update_id: int, user_id: int, data: str, message_id: int = 1) -> dict[str, Any]:
        user = {"id": user_id, "is_bot": False, "first_name": "伟"}
        return {"update_id": update_id, "callback_query": {
            "id": str(update_id), "from": user, "chat_instance": "ci", "data": data,
            "message": {"message_id": message_id, "date": 0, "chat": {"id": user_id, "type": "private"},
                        "from": BOT_USER, "text": "…"},
        }}

    @staticmethod
    def message_update(update_id: int, user_id: int, **content: Any) -> dict[str, Any]:
        return {"update_id": update_id, "message": {
            "message_id": update_id, "date": 0, "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "伟"}, **content,
        }}

    @staticmethod
    def text_update(update_id: int, user_id: int, text: str, first_name: str = "伟") -> dict[str, Any]:
        return {"update_id": update_id, "message": {
            "message_id": update_id, "date": 0, "text": text,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": first_name},
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        }}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def call_in_response(response: ClientResponse) -> tuple[str, dict[str, str]] | None:
    """The Bot API call a webhook's response carries (aiogram writes it as a multipart form: the
    method's name and its parameters), as Telegram reads it; None for an empty answer."""
    if response.content_type != "multipart/form-data":
        await response.read()
        return None
    fields = {}
    async for part in MultipartReader.from_response(response):
        fields[part.name] = await part.text()
    return fields.pop("method"), fields
