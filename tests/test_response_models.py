"""The Bot reads each kind of Bot API answer with a model built once, not once per call."""
from __future__ import annotations

import gc

from aiogram.methods import Response, SendMessage

from bot.factory import create_bot
from bot.response_models import KeepResponseModels
from testkit.botkit import BOT_TOKEN
from testkit.fakes.bot_api import FakeBotApi


async def test_the_answer_model_of_a_method_outlives_the_call() -> None:
    api = FakeBotApi()
    bot = create_bot(BOT_TOKEN, await api.start())
    try:
        await bot.send_message(1, "你好")
        gc.collect()  # what pydantic alone keeps (weakly) is gone now
        kept = next(m for m in bot.session.middleware if isinstance(m, KeepResponseModels))
        model = kept.kept[SendMessage.__returning__]
        assert Response[SendMessage.__returning__] is model  # the next call's lookup finds it
        await bot.send_message(1, "再见")
        assert len(kept.kept) == 1
    finally:
        await bot.session.close()
        await api.stop()
