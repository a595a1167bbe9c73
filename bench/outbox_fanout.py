"""Fan-out of 10,000 notifications through the real outbox sender to a local Bot API server
that enforces a global rate and answers 429 with retry_after past it. Prints the achieved rate
as a ratio of the configured limit, the 429s, and duplicates and misses."""
from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from bench._fake_api_process import FakeApiProcess
from bot.factory import create_bot
from domain.clock import FrozenClock
from domain.policy import load_policy
from scheduler.sender import OutboxSender
from storage import migrate
from storage.db import create_engine, create_sessionmaker, sqlite_url
from storage.models import OutboxMessage, User
from testkit.botkit import BOT_TOKEN
from testkit.fakes.rate_limited_api import RateLimitedBotApi


async def run(messages: int = 10_000, limit: float = 250.0, database_url: str | None = None) -> dict[str, float]:
    zone = ZoneInfo("Asia/Shanghai")
    policy = load_policy("yangquan")
    clock = FrozenClock(datetime(2026, 3, 16, 2, 0, tzinfo=timezone.utc))  # 10:00 local: no quiet hours
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(database_url or sqlite_url(Path(tmp) / "fanout.db"))
        await migrate.upgrade(engine)
        sessionmaker = create_sessionmaker(engine)
        async with sessionmaker() as session:
            await session.execute(insert(User), [
                {"telegram_id": 1_000_000 + i, "full_name": f"u{i}", "created_at": clock.now(), "failed_starts": 0}
                for i in range(messages)])
            ids = (await session.scalars(select(User.id).order_by(User.id))).all()
            await session.execute(insert(OutboxMessage), [
                {"key": f"bench:{uid}", "user_id": uid, "chat_id": 1_000_000 + i, "text": f"通知 {i}",
                 "documents": [], "status": "pending", "attempts": 0, "next_attempt_at": clock.now(),
                 "created_at": clock.now()} for i, uid in enumerate(ids)])
            await session.commit()
        server = FakeApiProcess(RateLimitedBotApi, limit)
        url = server.start()
        bot = create_bot(BOT_TOKEN, api_server=url)
        sender = OutboxSender(sessionmaker, bot, clock, policy, zone, per_second=limit, per_chat_interval=1.0)
        start = time.perf_counter()
        await sender.run_once()
        elapsed = time.perf_counter() - start
        await bot.session.close()
        stats = server.stop()
        await engine.dispose()
    received = {int(chat): n for chat, n in stats["received"].items()}
    delivered = sum(received.values())
    return {
        "messages": messages, "limit": limit, "seconds": elapsed, "rate": delivered / elapsed,
        "ratio": delivered / elapsed / limit, "too_many": stats["too_many"],
        "duplicates": sum(n - 1 for n in received.values() if n > 1),
        "misses": messages - len(received),
    }


if __name__ == "__main__":
    print(asyncio.run(run()))
