"""Database statements per step of a visit conversation, on PostgreSQL, in process (no HTTP, no
cross-process lock: add 2 a step for the advisory lock of webhook workers). A count, not a time:
it does not depend on how busy the machine is, so a change's effect on the database's share of
an update can be read on a shared machine.

    .venv/bin/python -m bench.statements     # TEPAI_BENCH_PG_ADMIN_URL or TEPAI_TEST_PG_ADMIN_URL
"""
from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import event

from bench.visit_flow import _prepare
from domain.policy import load_policy
from storage.evidence_store import EvidenceStore
from testkit import images
from testkit.botkit import Harness, Person
from testkit.databases import scratch_database
from testkit.visitflow import SUMMARY, Walk


async def count(url: str, conversations: int = 6) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine, sessionmaker, clock, tokens = await _prepare(folder, url)
        statements = [0]
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
        harness = Harness.build(sessionmaker=sessionmaker, policy=load_policy("jincheng"), clock=clock,
                                zone=ZoneInfo("Asia/Shanghai"), evidence_store=EvidenceStore(folder / "ev"))
        people = [Person(10_000 + i, "测试") for i in range(len(tokens))]
        for person, token in zip(people, tokens):
            await harness.send(person, f"/start {token}")
        per_step: dict[str, list[int]] = defaultdict(list)
        for n in range(conversations):
            person = people[n % len(people)]
            walk = Walk(harness, person)
            for name, update in (("/visit", lambda: harness.message(person, "/visit")),
                                 ("kind", lambda: walk.tap("培训")),
                                 ("mode", lambda: walk.tap("现场服务")),
                                 ("date", lambda: walk.tap("今天")),
                                 ("summary", lambda: harness.message(person, SUMMARY)),
                                 ("photo", lambda: harness.photo(person, images.jpeg(n, size=(1280, 960)), f"b{n}")),
                                 ("photos done", lambda: walk.tap("✅ 完成")),
                                 ("location", lambda: harness.location(person, 37.8702, 113.5512, accuracy=10.0)),
                                 ("confirm", lambda: walk.tap("✅ 确认提交"))):
                before = statements[0]
                await walk.feed(update())
                if n:  # the first conversation warms caches up
                    per_step[name].append(statements[0] - before)
        await engine.dispose()
    return {name: statistics.mean(v) for name, v in per_step.items()}


async def main() -> int:
    admin = os.environ.get("TEPAI_BENCH_PG_ADMIN_URL") or os.environ.get("TEPAI_TEST_PG_ADMIN_URL")
    if not admin:
        print("needs PostgreSQL: set TEPAI_BENCH_PG_ADMIN_URL (make bench does)", file=sys.stderr)
        return 2
    async with scratch_database(admin, "tepai_statements") as url:
        steps = await count(url)
    for name, n in steps.items():
        print(f"  {name:>12}: {n:5.1f} statements")
    print(f"  {'mean':>12}: {statistics.mean(steps.values()):5.1f} a step")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
