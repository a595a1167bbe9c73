"""A local Bot API server that enforces a global message rate like Telegram: past the limit it
answers 429 with retry_after. It counts what each chat received. Loopback only; used by the
outbox tests and the fan-out benchmark."""
from __future__ import annotations

import time
from collections import Counter, deque

from aiohttp import web

BOT = {"id": 123456, "is_bot": True, "first_name": "特派", "username": "tepai_rate_bot"}


class RateLimitedBotApi:
    def __init__(self, per_second: float, forbidden: set[int] = frozenset(), server_errors: int = 0) -> None:
        self.per_second = per_second
        self.forbidden = set(forbidden)
        self.server_errors = server_errors  # answer this many sendMessage calls with 502 first
        self.fail_calls: set[int] = set()  # answer these send calls (1 = the first) with 502
        self.busy_calls: set[int] = set()  # answer these send calls with 429, however slow the sender is
        self.calls = 0
        self.received: Counter[int] = Counter()
        self.delivered: list[tuple[str, int, str]] = []  # (method, chat, text or file name) taken
        self.too_many = 0
        self._window: deque[float] = deque()
        self._runner: web.AppRunner | None = None
        self.next_id = 0

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # noqa: SLF001

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def stats(self) -> dict:
        """What each chat received and how many calls were refused (JSON, for bench processes)."""
        return {"received": dict(self.received), "too_many": self.too_many}

    def _over_limit(self) -> bool:
        now = time.monotonic()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        if len(self._window) >= self.per_second:
            return True
        self._window.append(now)
        return False

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = dict(await request.post())
        if method == "getMe":
            return web.json_response({"ok": True, "result": BOT})
        if method not in ("sendMessage", "sendDocument"):
            return web.json_response({"ok": True, "result": True})
        chat = int(params["chat_id"])
        self.calls += 1
        if self.server_errors > 0 or self.calls in self.fail_calls:
            self.server_errors = max(0, self.server_errors - 1)
            return web.json_response({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502)
        if chat in self.forbidden:
            return web.json_response({"ok": False, "error_code": 403,
                                      "description": "Forbidden: bot was blocked by the user"}, status=403)
        if self.calls in self.busy_calls or self._over_limit():
            self.too_many += 1
            return web.json_response({"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                                      "parameters": {"retry_after": 1}}, status=429)
        self.received[chat] += 1
        # aiogram sends a file as its own form field, referred to as attach://<field>
        files = [v.filename for v in params.values() if isinstance(v, web.FileField)]
        self.delivered.append((method, chat, files[0] if files else params.get("text", "")))
        self.next_id += 1
        return web.json_response({"ok": True, "result": {
            "message_id": self.next_id, "date": 0, "chat": {"id": chat, "type": "private"}, "from": BOT,
            "text": params.get("text", "")}})
