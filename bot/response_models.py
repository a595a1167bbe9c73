"""aiogram checks every Bot API answer against `Response[<the method's result type>]`, a pydantic
generic model it parametrises anew on each call. pydantic keeps such models only weakly, so once
the garbage collector had taken one, the next call built it again: about 0.6 ms per call, three
calls per visit step, in the hottest path of a webhook worker (bench/load.py). Holding each model
strongly turns that into a cache hit."""
from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import Response, TelegramMethod


class KeepResponseModels(BaseRequestMiddleware):
    def __init__(self) -> None:
        self.kept: dict[Any, type[Response[Any]]] = {}  # a method's result type -> its Response model

    async def __call__(self, make_request: NextRequestMiddlewareType[Any], bot: Bot,
                       method: TelegramMethod[Any]) -> Any:
        returning = method.__returning__
        if returning not in self.kept:
            self.kept[returning] = Response[returning]
        return await make_request(bot, method)
