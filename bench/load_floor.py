"""The load benchmark's floor worker: what the visit traffic costs in aiogram and aiohttp alone.

A process of its own, started as the real `tepai webhook` workers are (testkit/webhook_workers.py,
its own session, the same TEPAI_* settings it reads): an aiohttp server with aiogram's webhook
request handler and bot/webhook.py's constant-time secret check, aiogram's in-memory FSM and
in-memory event isolation, a plain aiogram Bot with its aiohttp session. No database, no evidence
store, no middleware of ours, no logic: each update is answered with the Telegram calls the real
Dispatcher made for that step of a recorded visit (bench/visit_flow.py `record_visit`), the
same methods in the same order, texts and keyboards, with the chat, message, callback and photo
of this update put in, a tap's callback answer carried in the webhook's response as the real
workers do; the photo step fetches the file (getFile + download) as handlers/uploads.py does.
The generator (bench/load_users.py) drives it through whole conversations unchanged.

    python -m bench.load_floor --script calls.json --host 127.0.0.1 --port 22300
"""
from __future__ import annotations

import argparse
import hmac
import json
import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher, Router, methods
from aiogram.client.default import Default, DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.types import CallbackQuery, File, Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

Script = list[list[tuple[str, dict[str, Any]]]]  # per step: (method class name, its values)


def script_of(steps: list[list[TelegramMethod[Any]]]) -> Script:
    """Recorded calls as plain values (JSON), the bot's defaults (parse mode…) left to the bot."""
    return [[(type(call).__name__, {k: v for k, v in call.model_dump(exclude_unset=True, exclude_none=True).items()
                                    if not isinstance(v, Default)}) for call in calls] for calls in steps]


class FloorRequestHandler(SimpleRequestHandler):
    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:  # noqa: ARG002
        return hmac.compare_digest(telegram_secret_token.encode(), self.secret_token.encode())  # as bot/webhook.py


class Floor:
    """Answers step n of a conversation (kept in the FSM, /visit starts it) with step n's calls."""

    def __init__(self, script: Script) -> None:
        self.script = [[(getattr(methods, name), values) for name, values in calls] for calls in script]

    async def answer(self, event: Message | CallbackQuery, state: FSMContext, bot: Bot) -> AnswerCallbackQuery | None:
        """Step n's calls, in order; the first callback answer is returned instead, for aiogram to
        write as the webhook's response, as bot/webhook.py does."""
        begins = isinstance(event, Message) and event.text == "/visit"
        step = 0 if begins else (await state.get_data())["step"] + 1
        await state.update_data(step=step)
        in_response = None
        for method, values in self.script[step]:
            call = method.model_validate(_this_update(values, event))
            if in_response is None and isinstance(call, AnswerCallbackQuery):
                in_response = call
                continue
            result = await bot(call)
            if isinstance(result, File):
                _photo = (await bot.download_file(result.file_path)).getvalue()
        return in_response

    def router(self) -> Router:
        router = Router()
        router.message.register(self.answer)
        router.callback_query.register(self.answer)
        return router


def _this_update(values: dict[str, Any], event: Message | CallbackQuery) -> dict[str, Any]:
    """The recorded values with this update's chat, pressed message, callback and photo."""
    message = event if isinstance(event, Message) else event.message
    mine = {"chat_id": message.chat.id}
    if isinstance(event, CallbackQuery):
        mine |= {"callback_query_id": event.id, "message_id": message.message_id}
    if isinstance(event, Message) and event.photo:
        mine["file_id"] = event.photo[-1].file_id
    return values | {k: v for k, v in mine.items() if k in values}


def floor_app(script: Script, *, token: str, api: str, path: str, secret: str) -> web.Application:
    bot = Bot(token=token, session=AiohttpSession(api=TelegramAPIServer.from_base(api)),
              default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    dp = Dispatcher(events_isolation=SimpleEventIsolation())  # FSM in memory: aiogram's default
    dp.include_router(Floor(script).router())
    app = web.Application()
    FloorRequestHandler(dp, bot, handle_in_background=False, secret_token=secret).register(app, path=path)
    setup_application(app, dp, bot=bot)
    app.router.add_get("/healthz", _healthy)
    return app


async def _healthy(request: web.Request) -> web.Response:  # noqa: ARG001
    return web.Response(text="ok\n")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.load_floor", description=__doc__.split("\n\n")[0])
    p.add_argument("--script", type=Path, required=True, help="the recorded calls (JSON, script_of)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    env = os.environ
    app = floor_app(json.loads(args.script.read_text()), token=env["TEPAI_BOT_TOKEN"], api=env["TEPAI_API_SERVER"],
                    path=urlsplit(env["TEPAI_WEBHOOK_URL"]).path, secret=env["TEPAI_WEBHOOK_SECRET"])
    web.run_app(app, host=args.host, port=args.port, print=None)  # Ctrl+C (SIGINT) stops it


if __name__ == "__main__":
    main()
