"""Visit conversation throughput against a bare aiogram echo Dispatcher, in one run.

Both are driven the same way: `feed_update` with the recording Bot session (no network). The
visit flow runs on a real SQLite file through every middleware (dedupe, session, user, FSM).
"""
from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from aiogram import Dispatcher, Router
from aiogram.types import Message

from domain.clock import FrozenClock
from domain.policy import load_policy
from domain.records import Kind
from domain.roles import Role
from services import onboarding
from services.importer import import_file
from storage import migrate
from storage.db import create_engine, create_sessionmaker, sqlite_url
from storage.evidence_store import EvidenceStore
from storage.repositories import Repos
from tests import images
from tests.botkit import BOT_TOKEN, Harness, Person, RecordingSession
from tests.visitflow import SUMMARY, Walk

ROOT = Path(__file__).resolve().parent.parent


COMMISSIONERS = ("C002", "C003", "C004", "C005")  # one agreement each: every conversation has the same steps


async def _prepare(folder: Path, database_url: str | None = None):  # noqa: ANN202
    engine = create_engine(database_url or sqlite_url(folder / "bench.db"))
    await migrate.upgrade(engine)
    sessionmaker = create_sessionmaker(engine)
    clock = FrozenClock(datetime(2026, 3, 16, 2, 0, tzinfo=timezone.utc))
    tokens = []
    async with sessionmaker() as session:
        repos = Repos(session)
        for kind in ("units", "enterprises", "commissioners", "agreements"):
            assert (await import_file(repos, clock, ROOT / "examples" / f"{kind}.csv", Kind(kind), "bench")).ok
        for code in COMMISSIONERS:
            target = await onboarding.resolve_target(repos, Role.COMMISSIONER, code)
            tokens.append((await onboarding.create_invite(repos, clock, target, "bench")).token)
        await repos.commit()
    return engine, sessionmaker, clock, tokens


async def visit_rate(conversations: int = 60, database_url: str | None = None) -> dict[str, float]:
    """Updates per second for the text and button steps of complete visit conversations, on a
    SQLite file (default) or an empty PostgreSQL database."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine, sessionmaker, clock, tokens = await _prepare(folder, database_url)
        harness = Harness.build(sessionmaker=sessionmaker, policy=load_policy("jincheng"), clock=clock,
                                zone=ZoneInfo("Asia/Shanghai"), evidence_store=EvidenceStore(folder / "ev"))
        people = [Person(10_000 + i, "测试") for i in range(len(tokens))]
        for person, token in zip(people, tokens):
            await harness.send(person, f"/start {token}")
        photos = [images.jpeg(n, size=(1280, 960)) for n in range(conversations)]
        timed, updates, total_start = 0.0, 0, time.perf_counter()
        for n in range(conversations):
            person = people[n % len(people)]
            walk = Walk(harness, person)
            steps = [("send", "/visit"), ("press", "培训"), ("press", "现场服务"), ("press", "今天"),
                     ("send", SUMMARY)]
            for how, value in steps:
                start = time.perf_counter()
                await (walk.send(value) if how == "send" else walk.press(value))
                timed += time.perf_counter() - start
                updates += 1
            await walk.feed(harness.photo(person, photos[n], f"bench{n}"))  # evidence: not a text step
            start = time.perf_counter()
            await walk.press("✅ 完成")
            timed += time.perf_counter() - start
            updates += 1
            await walk.feed(harness.location(person, 37.8702, 113.5512))
            start = time.perf_counter()
            await walk.press("✅ 确认提交")
            timed += time.perf_counter() - start
            updates += 1
        total = time.perf_counter() - total_start
        await engine.dispose()
    return {"updates": updates, "rate": updates / timed, "conversations_per_s": conversations / total}


async def echo_rate(updates: int = 2000) -> float:
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dp = Dispatcher()
    dp.include_router(router)
    session = RecordingSession()
    harness = Harness(dp=dp, bot=_bot(session), session=session)
    person = Person(1, "Echo")
    batch = [harness.message(person, f"echo {i}") for i in range(updates)]
    start = time.perf_counter()
    for update in batch:
        await dp.feed_update(harness.bot, update)
    return updates / (time.perf_counter() - start)


def _bot(session: RecordingSession | None = None):  # noqa: ANN202
    from bot.factory import create_bot

    return create_bot(BOT_TOKEN, session=session or RecordingSession())


async def run(postgres_url: str | None = None) -> dict[str, float]:
    await echo_rate(200)  # warm up imports and pydantic models
    echo = await echo_rate()
    visit = await visit_rate()
    out = {"visit_rate": visit["rate"], "echo_rate": echo, "ratio": visit["rate"] / echo,
           "updates": visit["updates"], "conversations_per_s": visit["conversations_per_s"]}
    if postgres_url:
        pg = await visit_rate(database_url=postgres_url)
        out.update(pg_rate=pg["rate"], pg_ratio=pg["rate"] / echo)
    return out


if __name__ == "__main__":
    print(asyncio.run(run()))
