"""One person's updates are handled one after another, in update_id order, while polling.

After a restart Telegram hands over a backlog; aiogram's polling handles each update as its own
task. Without ordering, "/help" or "/me" could be answered before the "/start <token>" sent first
had bound the account."""
from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from bot.factory import create_bot, create_dispatcher
from domain.roles import Role
from storage.evidence_store import EvidenceStore
from testkit.botkit import BOT_TOKEN
from testkit.fakes.bot_api import FakeBotApi
from testkit.visitflow import Walk
from testkit.worlds import ZHANG, build, harness, invite, world  # noqa: F401 - fixtures
from tests.test_bot_onboarding import make_invite, seeded  # noqa: F401 - the seeded fixture

USER = 1001


async def test_backlog_of_one_user_is_answered_in_update_order(seeded, policy, clock, tmp_path) -> None:  # noqa: F811
    token = await make_invite(seeded, clock, Role.COMMISSIONER, "C001")
    api = FakeBotApi()
    base = await api.start()
    bot = create_bot(BOT_TOKEN, base)
    dp = create_dispatcher(sessionmaker=seeded, policy=policy, clock=clock, zone=ZoneInfo("Asia/Shanghai"),
                           evidence_store=EvidenceStore(tmp_path / "evidence"))
    api.pending = [FakeBotApi.text_update(i, USER, text) for i, text in
                   enumerate([f"/start {token}", "/me", "/visits", "/help"], start=1)]
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        async def four_replies() -> None:
            while len(api.sent_texts()) < 4:
                await asyncio.sleep(0.05)
        await asyncio.wait_for(four_replies(), 30)
    finally:
        with contextlib.suppress(RuntimeError):
            await dp.stop_polling()
        await asyncio.wait_for(polling, 10)
        await bot.session.close()
        await api.stop()
    replies = api.sent_texts()
    assert "邀请已确认" in replies[0], replies
    assert "C001" in replies[1] and "张伟" in replies[1], replies
    assert "尚未绑定" not in replies[2] and "仅限" not in replies[2], replies
    assert "/visit" in replies[3], replies


async def test_a_command_inside_a_conversation_is_never_its_text(harness, clock) -> None:  # noqa: F811
    clock.set(datetime(2026, 3, 28, 2, 0, tzinfo=timezone.utc))  # inside the 2026-Q1 report window
    walk = Walk(harness, ZHANG)
    assert "报告草稿" in (await walk.send("/report"))[-1]
    assert (await walk.send("/foo")) == ["您正在进行一项操作。请先完成它，或发送 /cancel 取消后再使用其他命令。"]
    assert "报告内容太短了" not in " ".join(await walk.send("/visits"))
    assert "/visit" in (await walk.send("/help"))[0]  # /help runs inside a conversation
    # The draft is still there: text replaces it as before.
    assert "报告内容太短了" in (await walk.send("没什么"))[0]
    assert (await walk.send("/cancel")) == ["已取消，未保存的内容已丢弃。"]
    assert "没有这个命令" in (await walk.send("/foo"))[0]  # outside a conversation: unknown command
