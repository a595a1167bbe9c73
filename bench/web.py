"""The web console at a city's size and a province's: 100 and 10,000 commissioners with a year of
visits (24 each, a few flagged, answers and reports). For the overview, the commissioner list,
one commissioner's page, the visit list and the enterprise list: median ms and database
statements per page at both sizes, and the 10,000/100 time ratio (target: at most 3 for each
page). Before every request a reviewer accepts a flagged visit (through the service the console
uses), so each page is measured right after a data change: nothing is served from a cache.

    .venv/bin/python -m bench.web
"""
from __future__ import annotations

import asyncio
import random
import re
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import event, insert, select

from domain.clock import FrozenClock
from domain.policy import load_policy
from domain.web_access import BUREAU
from services import visits, web_access
from storage import migrate, running_counts
from storage.db import create_engine, create_sessionmaker, sqlite_url
from storage.evidence_store import EvidenceStore
from storage.models import Agreement, Commissioner, DispatchingUnit, Enterprise, Report, User, Visit, VisitFeedback
from storage.repositories import Repos
from web.app import create_app
from web.context import Console

YEAR = 2026
VISITS_EACH = 24
COUNTIES = ("城区", "矿区", "郊区", "平定县", "盂县", "高新区")
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
PAGES = {"overview": "/?year=2026", "commissioners": "/commissioners?year=2026",
         "commissioner": "/commissioners/C00042?year=2026", "visits": "/visits?year=2026",
         "enterprises": "/enterprises?year=2026"}
ROUNDS = 7


async def _seed(sessionmaker, people: int) -> None:  # noqa: ANN001
    rng = random.Random(people)
    firms = max(people // 2, 10)
    async with sessionmaker() as session:
        await session.execute(insert(DispatchingUnit), [{"code": f"U{i}", "name": f"大学{i}"} for i in range(10)])
        await session.execute(insert(Enterprise), [
            {"code": f"E{i:05d}", "name": f"阳泉第{i}科技有限公司", "county": COUNTIES[i % len(COUNTIES)],
             "latitude": 37.8 + rng.random() * 0.3, "longitude": 113.5 + rng.random() * 0.2} for i in range(firms)])
        await session.execute(insert(Commissioner), [
            {"code": f"C{i:05d}", "name": f"专家{i}", "unit_id": i % 10 + 1, "county": COUNTIES[i % len(COUNTIES)],
             "status": "active"} for i in range(people)])
        await session.execute(insert(User), [{"telegram_id": 1, "full_name": "bench", "created_at": NOW,
                                              "failed_starts": 0}])
        await session.execute(insert(Agreement), [
            {"commissioner_id": i + 1, "enterprise_id": i % firms + 1, "start_date": date(YEAR, 1, 1),
             "end_date": date(YEAR, 12, 31), "status": "active"} for i in range(people)])
        batch, answers, reports = [], [], []
        vid = 0
        for c in range(people):
            for v in range(VISITS_EACH):
                vid += 1
                flagged = rng.random() < 0.05
                batch.append({"id": vid, "draft_key": f"b{vid}", "commissioner_id": c + 1, "enterprise_id": c % firms + 1,
                              "agreement_id": c + 1, "author_user_id": 1, "kind": "guidance", "mode": "on_site",
                              "visit_date": date(YEAR, 1, 1) + timedelta(days=rng.randint(0, 320)), "logged_at": NOW,
                              "late": False, "summary": "现场技术指导，解决工艺问题。", "latitude": 37.85,
                              "longitude": 113.58, "evidence_status": "flagged" if flagged else "verified",
                              "flags": [{"flag": "far", "distance_m": 2500, "radius_m": 1000}] if flagged else [],
                              "live_location": False})
                roll = rng.random()
                answers.append({"visit_id": vid, "enterprise_id": c % firms + 1,
                                "status": "confirmed" if roll < 0.85 else "disputed" if roll < 0.88 else "pending",
                                "prompted_at": NOW, "reminders_sent": 0, "rating": 3 + vid % 3 if roll < 0.85 else None})
            for q in (1, 2, 3):
                if rng.random() < 0.9:
                    reports.append({"commissioner_id": c + 1, "cycle": "quarterly", "period": f"{YEAR}-Q{q}",
                                    "text": "进展", "attachments": [], "submitted_at": NOW,
                                    "due_on": date(YEAR, 3 * q, 28), "late": False, "author_user_id": 1})
            if len(batch) >= 20_000:
                await session.execute(insert(Visit), batch)
                await session.execute(insert(VisitFeedback), answers)
                batch, answers = [], []
        if batch:
            await session.execute(insert(Visit), batch)
            await session.execute(insert(VisitFeedback), answers)
        await session.execute(insert(Report), reports)
        await session.commit()


class Site:
    """One seeded database served by the console app, with a signed-in client."""

    def __init__(self, folder: Path, people: int) -> None:
        self.folder, self.people = folder, people
        self.statements = [0]

    async def start(self) -> None:
        clock = FrozenClock(NOW)
        self.engine = create_engine(sqlite_url(self.folder / "bench.db"))
        await migrate.upgrade(self.engine)
        sessionmaker = create_sessionmaker(self.engine)
        await _seed(sessionmaker, self.people)
        async with self.engine.begin() as conn:  # the seed wrote with Core, past the counting hook
            await conn.run_sync(running_counts.rebuild)
        self.sessionmaker, self.clock = sessionmaker, clock
        event.listen(self.engine.sync_engine, "before_cursor_execute",
                     lambda *a: self.statements.__setitem__(0, self.statements[0] + 1))
        console = Console(sessionmaker, load_policy("yangquan"), clock, ZoneInfo("Asia/Shanghai"),
                          EvidenceStore(self.folder / "ev"), "http://127.0.0.1:18899")
        self.client = TestClient(TestServer(create_app(console)))
        await self.client.start_server()
        async with sessionmaker() as session:
            repos = Repos(session)
            token = await web_access.create_link(repos, clock, BUREAU, "bench", "bench")
            await repos.commit()
        form = await (await self.client.get(f"/signin/{token}")).text()
        nonce = re.search(r'name="nonce" value="([^"]+)"', form).group(1)
        opened = await self.client.post(f"/signin/{token}", data={"nonce": nonce}, allow_redirects=False)
        assert opened.status == 303

    async def change(self) -> None:
        """A reviewer accepts the next flagged visit: the running counts move, the cache's version too."""
        async with self.sessionmaker() as session:
            repos = Repos(session)
            visit = await session.scalar(select(Visit).where(Visit.flagged).order_by(Visit.id).limit(1))
            await visits.accept_visit(repos, self.clock, visit=visit, note="已核实", actor="bench")
            await repos.commit()

    async def get(self, path: str) -> tuple[float, int]:
        await self.change()
        before = self.statements[0]
        t0 = time.perf_counter()
        response = await self.client.get(path)
        await response.read()
        assert response.status == 200, (path, response.status)
        return (time.perf_counter() - t0) * 1000, self.statements[0] - before

    async def stop(self) -> None:
        await self.client.close()
        await self.engine.dispose()


async def run(small: int = 100, large: int = 10_000) -> dict:
    """Both sizes seeded first, then each page requested at one size and the other in turn, so a
    busy machine slows both alike and the ratio stays fair."""
    with tempfile.TemporaryDirectory() as tmp:
        sites = [Site(Path(tmp) / "small", small), Site(Path(tmp) / "large", large)]
        for site in sites:
            site.folder.mkdir()
            await site.start()
        out: dict = {"sizes": (small, large)}
        try:
            for name, path in PAGES.items():
                samples: list[list[tuple[float, int]]] = [[], []]
                for _ in range(ROUNDS):
                    for i, site in enumerate(sites):
                        samples[i].append(await site.get(path))
                out[name] = [{"ms": statistics.median(ms for ms, _ in runs[1:]),
                              "statements": max(n for _, n in runs[1:])} for runs in samples]
        finally:
            for site in sites:
                await site.stop()
    return out


def main() -> None:
    result = asyncio.run(run())
    small, large = result["sizes"]
    print(f"Web console pages, {VISITS_EACH} visits per commissioner for a year (SQLite file, median of "
          f"{ROUNDS - 1} requests after the first, each right after a reviewer accepted a visit)")
    for name in PAGES:
        s, big = result[name]
        print(f"  {name:<13} {small:>6}: {s['ms']:7.1f} ms {s['statements']:>3} statements | "
              f"{large:>6}: {big['ms']:7.1f} ms {big['statements']:>3} statements | "
              f"ratio {big['ms'] / s['ms']:6.2f}   (target <= 3)")


if __name__ == "__main__":
    main()
