"""The load benchmark's city: many commissioners, each with one enterprise and one agreement (so
every visit conversation has the same steps), imported as bench/visit_flow.py imports its own, and
an invite for each. Afterwards, what the run stored."""
from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from sqlalchemy import func, select

from domain.clock import SystemClock
from domain.records import Kind
from domain.roles import Role
from services import onboarding
from services.importer import import_file
from storage import migrate
from storage.db import create_engine, create_sessionmaker
from storage.models import ProcessedUpdate, User, Visit
from storage.repositories import Repos

ROOT = Path(__file__).resolve().parent.parent
COUNTIES = ("城区", "矿区", "郊区", "平定县", "盂县", "高新区")


def _write(folder: Path, n: int) -> None:
    rows = {
        "enterprises": [("编号", "名称", "县区", "地址", "纬度", "经度", "联系人", "联系电话")] + [
            (f"E{i:05d}", f"阳泉第{i}号材料有限公司", COUNTIES[i % 6], f"工业园{i}号", f"{37.80 + i % 50 / 1000:.4f}",
             f"{113.50 + i % 70 / 1000:.4f}", "李明", f"1393{i:07d}") for i in range(n)],
        "commissioners": [("编号", "姓名", "派出单位", "职称", "学位", "专业领域", "电话", "县区")] + [
            (f"C{i:05d}", f"特派员{i}", "U01", "教授", "博士", "耐火材料", f"1380{i:07d}", COUNTIES[i % 6])
            for i in range(n)],
        "agreements": [("commissioner", "enterprise", "start", "end", "status")] + [
            (f"C{i:05d}", f"E{i:05d}", "2026-01-01", "2026-12-31", "active") for i in range(n)],
    }
    for kind, table in rows.items():
        with (folder / f"{kind}.csv").open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(table)


async def seed(url: str, n: int, first_telegram_id: int) -> list[tuple[int, str]]:
    """(telegram id, invite token) of each of the n commissioners, on a migrated database."""
    engine = create_engine(url)
    await migrate.upgrade(engine)
    clock = SystemClock()
    try:
        async with create_sessionmaker(engine)() as session:
            repos = Repos(session)
            with tempfile.TemporaryDirectory() as tmp:
                _write(Path(tmp), n)
                files = [ROOT / "examples" / "units.csv"] + [Path(tmp) / f"{k}.csv"
                                                             for k in ("enterprises", "commissioners", "agreements")]
                for path, kind in zip(files, ("units", "enterprises", "commissioners", "agreements")):
                    report = await import_file(repos, clock, path, Kind(kind), "bench")
                    assert report.ok, report
            tokens = []
            for i in range(n):
                target = await onboarding.resolve_target(repos, Role.COMMISSIONER, f"C{i:05d}")
                tokens.append((await onboarding.create_invite(repos, clock, target, "bench")).token)
            await repos.commit()
    finally:
        await engine.dispose()
    return [(first_telegram_id + i, token) for i, token in enumerate(tokens)]


async def stored_counts(url: str, answered: list[int]) -> dict:
    """Visits stored per commissioner's Telegram id, and how many acknowledged updates are not
    recorded as handled."""
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = await session.execute(select(User.telegram_id, func.count(Visit.id))
                                         .join(Visit, Visit.author_user_id == User.id).group_by(User.telegram_id))
            visits = {tg: n for tg, n in rows}
            handled = set((await session.scalars(select(ProcessedUpdate.update_id))).all())
    finally:
        await engine.dispose()
    return {"visits": visits, "unrecorded": sum(u not in handled for u in answered)}
