"""The load benchmark's generator: simulated commissioners telling complete visits over HTTP.

Run as its own process (`python -m bench.load_users`, a JSON plan on stdin, JSON figures on
stdout) so that it does not share an event loop with the workers it measures. Each commissioner
has their own update_id sequence and waits for a step's 200 before sending the next one, as a
person does; many commissioners talk at once. Posts go round-robin to the workers, as a reverse
proxy in front of them would send them. The Bot API calls the workers carry in their responses
(a tap's answerCallbackQuery, bot/webhook.py) are counted here: the stand-in never sees them.

A phase either runs closed (a number of commissioners talking without pause: the capacity) or
paced (as many, but steps start at the given rate overall). A commissioner between
two phases keeps their place in the conversation.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientTimeout, TCPConnector

from bench.load_api import photo_id
from testkit.fakes.bot_api import FakeBotApi
from testkit.visitflow import SUMMARY

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
KIND, MODE, TODAY, DONE, CONFIRM = "培训", "现场服务", "今天", "✅ 完成", "✅ 确认提交"
SITE = (37.8702, 113.5512)
# (step kind, what is sent): the visit conversation of a commissioner with one agreement.
STEPS = (("text", "/visit"), ("button", KIND), ("button", MODE), ("button", TODAY), ("text", SUMMARY),
         ("photo", None), ("button", DONE), ("location", None), ("confirm", CONFIRM))


# The method's name in a webhook response's form (aiogram writes it as the part named "method"):
# read off the bytes, since parsing the whole form (aiohttp's MultipartReader, as the tests do)
# costs this process 0.7 ms a response, CPU the workers it measures share.
METHOD_PART = re.compile(rb'name="method"\r\n(?:[^\r\n]+\r\n)*\r\n(\w+)')


def method_in_response(body: bytes) -> str:
    found = METHOD_PART.search(body)
    return found.group(1).decode() if found else "unreadable response"


class Broken(Exception):
    """The bot did not answer as the conversation expects (counted as an error)."""


@dataclass
class Record:
    phase: str
    kind: str
    start: float
    seconds: float
    status: int


@dataclass
class Commissioner:
    index: int
    telegram_id: int
    next_update: int
    invite: str | None = None
    position: int = 0  # the next step in STEPS
    visits: int = 0  # conversations confirmed with a 200
    broken: str | None = None
    answered: list[int] = field(default_factory=list)  # update ids acknowledged with 200

    def update_id(self) -> int:
        self.next_update += 1
        return self.next_update


class Generator:
    def __init__(self, http: ClientSession, plan: dict[str, Any]) -> None:
        self.http = http
        self.workers = itertools.cycle(f"{url}{plan['path']}" for url in plan["workers"])
        self.headers = {SECRET_HEADER: plan["secret"]}
        self.api = plan["api"]
        self.photos = itertools.count(plan["first_photo"])
        self.records: list[Record] = []
        self.errors: list[str] = []
        self.in_response: Counter[str] = Counter()

    async def post(self, person: Commissioner, update: dict[str, Any], phase: str | None, kind: str) -> None:
        start = time.perf_counter()
        async with self.http.post(next(self.workers), json=update, headers=self.headers) as response:
            body = await response.read()
            status = response.status
            if response.content_type == "multipart/form-data":  # a call the worker made in its response
                self.in_response[method_in_response(body)] += 1
        if phase is not None:
            self.records.append(Record(phase, kind, start, time.perf_counter() - start, status))
        if status != 200:
            raise Broken(f"HTTP {status} for {kind}")
        person.answered.append(update["update_id"])

    async def button(self, person: Commissioner, label: str) -> tuple[str, int]:
        async with self.http.get(f"{self.api}/keyboard/{person.telegram_id}") as response:
            shown = await response.json()
        for text, data in shown.get("buttons", {}).items():
            if text.startswith(label):
                return data, shown["message_id"]
        raise Broken(f"no button {label!r} among {list(shown.get('buttons', {}))}")

    async def step(self, person: Commissioner, phase: str | None) -> None:
        """The person's next step; on the last one the visit is confirmed."""
        kind, what = STEPS[person.position]
        uid, tg = person.update_id(), person.telegram_id
        if kind == "text":
            update = FakeBotApi.text_update(uid, tg, what) if what.startswith("/") else \
                FakeBotApi.message_update(uid, tg, text=what)
        elif kind in ("button", "confirm"):
            data, message_id = await self.button(person, what)
            update = FakeBotApi.callback_update(uid, tg, data, message_id)
        elif kind == "photo":
            file_id = photo_id(next(self.photos))
            update = FakeBotApi.message_update(uid, tg, photo=[{
                "file_id": file_id, "file_unique_id": f"u-{file_id}", "width": 1280, "height": 960}])
        else:
            update = FakeBotApi.message_update(uid, tg, location={
                "latitude": SITE[0], "longitude": SITE[1], "horizontal_accuracy": 10.0})
        await self.post(person, update, phase, kind)
        person.position = (person.position + 1) % len(STEPS)
        person.visits += kind == "confirm"

    async def onboard(self, person: Commissioner) -> None:
        if person.invite:
            await self.post(person, FakeBotApi.text_update(person.update_id(), person.telegram_id,
                                                           f"/start {person.invite}"), None, "start")

    async def phase(self, people: list[Commissioner], name: str, seconds: float, *, rate: float | None = None,
                    concurrency: int | None = None) -> None:
        """Closed (`concurrency` people, no pause) or paced (as many, `rate` steps a second in all)."""
        deadline = time.perf_counter() + seconds
        tokens: asyncio.Queue[None] | None = asyncio.Queue() if rate else None

        async def ticker() -> None:
            due = time.perf_counter()
            while due < deadline:
                if tokens.empty():  # nobody free to take a step now: no burst later
                    tokens.put_nowait(None)
                due += 1 / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            for _ in people:
                tokens.put_nowait(None)  # let everyone waiting see the deadline

        async def talk(person: Commissioner) -> None:
            while not person.broken:
                if tokens is not None:
                    await tokens.get()
                if time.perf_counter() >= deadline:
                    return
                await self.guarded(person, name)

        active = [p for p in people if not p.broken][:concurrency]
        await asyncio.gather(*(talk(p) for p in active), *([ticker()] if tokens is not None else []))

    async def guarded(self, person: Commissioner, phase: str | None) -> None:
        try:
            await self.step(person, phase)
        except (Broken, OSError, asyncio.TimeoutError) as exc:
            person.broken = f"commissioner {person.index}, step {STEPS[person.position][0]}: {exc!r}"
            self.errors.append(person.broken)

    async def warm_up(self, people: list[Commissioner]) -> None:
        """Each commissioner tells one whole visit and then goes a few steps into the next (not
        measured): every kind of step has run in every worker, so the phases do not pay for first
        imports, statements compiled and prepared on each pooled connection, and so on; and the
        commissioners start the phases spread over the conversation, not all at /visit."""
        async def go(person: Commissioner) -> None:
            for _ in range(len(STEPS) + person.index % len(STEPS)):
                if not person.broken:
                    await self.guarded(person, None)

        await asyncio.gather(*(go(p) for p in people))

    async def finish(self, people: list[Commissioner]) -> None:
        """Everyone ends the conversation they are in (not measured), so every visit is confirmed."""
        async def end(person: Commissioner) -> None:
            while person.position and not person.broken:
                await self.guarded(person, None)

        await asyncio.gather(*(end(p) for p in people))


def _cpu(pid: int) -> float:
    """User and system CPU seconds of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_backends(database: str) -> list[int]:
    """The server processes serving `database` (PostgreSQL names it in each one's title)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(b"postgres:") and f" {database} ".encode() in title:
                pids.append(int(entry.name))
    return pids


class CpuMeter:
    """CPU seconds spent by each part of the set-up between two readings."""

    def __init__(self, pids: dict[str, list[int]], database: str | None) -> None:
        self.pids, self.database = pids, database

    def read(self) -> dict[str, dict[int, float]]:
        parts = self.pids | ({"postgres": _postgres_backends(self.database)} if self.database else {})
        out = {name: {pid: _cpu(pid) for pid in pids} for name, pids in parts.items()}
        out["generator"] = {os.getpid(): time.process_time()}
        return out

    @staticmethod
    def spent(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
        return {name: sum(t - before.get(name, {}).get(pid, 0.0) for pid, t in pids.items())
                for name, pids in after.items()}


def summary(records: list[Record], phase: str) -> dict[str, Any]:
    """Steps a second over the phase (its first second left out: the ramp) and latency percentiles
    per step kind, in milliseconds."""
    mine = sorted((r for r in records if r.phase == phase), key=lambda r: r.start)
    if not mine:
        return {"rate": 0.0, "steps": 0, "latency": {}}
    first, last = mine[0].start + 1.0, max(r.start + r.seconds for r in mine)
    counted = [r for r in mine if r.start >= first and r.status == 200]
    latency = {}
    for kind in dict.fromkeys(k for k, _ in STEPS):
        ms = sorted(r.seconds * 1000 for r in mine if r.kind == kind)
        if ms:
            latency[kind] = {f"p{q}": ms[min(len(ms) - 1, int(len(ms) * q / 100))] for q in (50, 95, 99)}
    return {"rate": len(counted) / max(last - first, 1e-9), "steps": len(mine), "latency": latency}


async def run(plan: dict[str, Any]) -> dict[str, Any]:
    people = [Commissioner(i, p["telegram_id"], p["first_update"], p.get("invite"))
              for i, p in enumerate(plan["commissioners"])]
    async with ClientSession(connector=TCPConnector(limit=0), timeout=ClientTimeout(total=120)) as http:
        gen = Generator(http, plan)
        for person in people:  # one after another: the workers' first requests
            await gen.onboard(person)
        await gen.warm_up(people[:plan["warm_up"]])
        figures: dict[str, Any] = {}
        base = plan.get("base_rate")
        meter = CpuMeter(plan.get("cpu_pids", {}), plan.get("database"))
        for phase in plan["phases"]:
            rate = phase["load"] * base if "load" in phase else None
            before, wall = meter.read(), time.perf_counter()
            await gen.phase(people, phase["name"], phase["seconds"], rate=rate, concurrency=phase.get("concurrency"))
            wall, cpu = time.perf_counter() - wall, CpuMeter.spent(before, meter.read())
            steps = sum(1 for r in gen.records if r.phase == phase["name"])
            figures[phase["name"]] = summary(gen.records, phase["name"]) | {
                "offered": rate, "cpu_ms_per_update": {k: 1000 * v / max(steps, 1) for k, v in cpu.items()},
                "cpu_busy": {k: v / wall for k, v in cpu.items()}}
            if base is None:
                base = figures[phase["name"]]["rate"]
        await gen.finish(people)
    return {"phases": figures, "errors": gen.errors,
            "non_200": sum(r.status != 200 for r in gen.records),
            "visits": {p.telegram_id: p.visits for p in people}, "in_response": dict(gen.in_response),
            "answered": [uid for p in people for uid in p.answered]}


if __name__ == "__main__":
    json.dump(asyncio.run(run(json.load(sys.stdin))), sys.stdout)
