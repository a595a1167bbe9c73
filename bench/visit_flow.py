"""Visit conversation throughput against a bare aiogram echo Dispatcher, in one run.

Both are driven the same way: `feed_update` with the recording Bot session (no network). The
visit flow runs on a real SQLite file through every middleware (dedupe, session, user, FSM).

A third Dispatcher, the floor, answers the same updates with the very Telegram calls the visit
flow made for them (a callback answer, an edit and the next question for most buttons) and keeps
its state in memory, with no database and no logic. It is what any bot asking these questions
this way costs in aiogram alone, so floor/echo bounds what visit/echo can reach.
"""
from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from aiogram import Dispatcher, Router
from aiogram.fsm.context import FSMContext
from aiogram.methods import TelegramMethod
from aiogram.types import CallbackQuery, Message, Update

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
from testkit import images
from testkit.botkit import BOT_TOKEN, Harness, Person, RecordingSession
from testkit.visitflow import SUMMARY, Walk

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


def _harness(folder: Path, sessionmaker: Any, clock: FrozenClock) -> Harness:
    return Harness.build(sessionmaker=sessionmaker, policy=load_policy("jincheng"), clock=clock,
                         zone=ZoneInfo("Asia/Shanghai"), evidence_store=EvidenceStore(folder / "ev"))


def conversation(walk: Walk, photo: bytes, file_id: str) -> list[tuple[str, Callable[[], Update]]]:
    """The steps of one visit, as bench/load_users.py sends them: (name, the update, made when due)."""
    harness, person = walk.harness, walk.person
    return [("/visit", lambda: harness.message(person, "/visit")), ("kind", lambda: walk.tap("培训")),
            ("mode", lambda: walk.tap("现场服务")), ("date", lambda: walk.tap("今天")),
            ("summary", lambda: harness.message(person, SUMMARY)),
            ("photo", lambda: harness.photo(person, photo, file_id)), ("photos done", lambda: walk.tap("✅ 完成")),
            ("location", lambda: harness.location(person, 37.8702, 113.5512, accuracy=10.0)),
            ("confirm", lambda: walk.tap("✅ 确认提交"))]


async def record_visit() -> list[list[TelegramMethod[Any]]]:
    """The Telegram calls the real Dispatcher makes for each step of one visit, on a scratch SQLite
    file (the photo's download is not a call: the session serves it)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine, sessionmaker, clock, tokens = await _prepare(folder)
        harness = _harness(folder, sessionmaker, clock)
        person = Person(10_000, "测试")
        await harness.send(person, f"/start {tokens[0]}")
        walk = Walk(harness, person)
        calls = [await walk.feed(update()) for _, update in conversation(walk, images.jpeg(0, size=(1280, 960)), "p")]
        await engine.dispose()
    return calls


@dataclass
class Step:
    """One timed update of the visit flow: what was fed, how long it took, the calls it made."""

    name: str
    update: Update
    seconds: float
    calls: list[TelegramMethod[Any]]


async def visit_rate(conversations: int = 60, database_url: str | None = None) -> dict[str, Any]:
    """Updates per second for the text and button steps of complete visit conversations, on a
    SQLite file (default) or an empty PostgreSQL database; and the timed steps themselves."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine, sessionmaker, clock, tokens = await _prepare(folder, database_url)
        harness = _harness(folder, sessionmaker, clock)
        people = [Person(10_000 + i, "测试") for i in range(len(tokens))]
        for person, token in zip(people, tokens):
            await harness.send(person, f"/start {token}")
        photos = [images.jpeg(n, size=(1280, 960)) for n in range(conversations)]
        timed: list[Step] = []

        async def step(walk: Walk, name: str, update: Update) -> None:
            start = time.perf_counter()
            calls = await walk.feed(update)
            timed.append(Step(name, update, time.perf_counter() - start, calls))

        total_start = time.perf_counter()
        for n in range(conversations):
            walk = Walk(harness, people[n % len(people)])
            for name, update in conversation(walk, photos[n], f"bench{n}"):
                if name in ("photo", "location"):  # evidence: not text steps
                    await walk.feed(update())
                else:
                    await step(walk, name, update())
        total = time.perf_counter() - total_start
        await engine.dispose()
    seconds = sum(s.seconds for s in timed)
    return {"updates": len(timed), "rate": len(timed) / seconds, "conversations_per_s": conversations / total,
            "steps": timed}


def step_medians(steps: list[Step]) -> dict[str, float]:
    """Milliseconds per step kind (median), in conversation order."""
    names = dict.fromkeys(s.name for s in steps)
    return {name: statistics.median(s.seconds for s in steps if s.name == name) * 1000 for name in names}


async def floor_rate(steps: list[Step]) -> float:
    """Updates per second of the floor Dispatcher (see the module's doc) on the visit's own updates."""
    # Each call is rebuilt from plain values, keyboards included, as a handler builds its own.
    replies = iter([[(type(call), call.model_dump(exclude_unset=True)) for call in s.calls] for s in steps])
    router = Router()

    async def replay(event: Message | CallbackQuery, state: FSMContext) -> None:
        await state.update_data(step=event.message_id if isinstance(event, Message) else event.data)
        for method, values in next(replies):
            await event.bot(method.model_validate(values))

    router.message.register(replay)
    router.callback_query.register(replay)
    dp = Dispatcher()  # aiogram's default: FSM in memory
    dp.include_router(router)
    session = RecordingSession()
    bot = _bot(session)
    start = time.perf_counter()
    for s in steps:
        await dp.feed_update(bot, s.update)
    return len(steps) / (time.perf_counter() - start)


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


async def run(postgres_url: str | None = None) -> dict[str, Any]:
    await echo_rate(200)  # warm up imports and pydantic models
    echo = await echo_rate()
    visit = await visit_rate()
    floor = await floor_rate(visit["steps"])
    out = {"visit_rate": visit["rate"], "echo_rate": echo, "ratio": visit["rate"] / echo,
           "floor_rate": floor, "floor_ratio": floor / echo, "step_ms": step_medians(visit["steps"]),
           "updates": visit["updates"], "conversations_per_s": visit["conversations_per_s"]}
    if postgres_url:
        pg = await visit_rate(database_url=postgres_url)
        out.update(pg_rate=pg["rate"], pg_ratio=pg["rate"] / echo)
    return out


if __name__ == "__main__":
    print(asyncio.run(run()))
