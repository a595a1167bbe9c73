"""A programme year as tests see it: the examples imported (`imported`), or the examples and a
year of activity up to 20 November 2026 (`seeded`, built once per run and backend, then cloned)."""
from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from domain.clock import FrozenClock
from domain.records import Kind
from services.assessment import assess
from services.demo_activity import seed_activity
from services.importer import import_file
from storage.db import create_engine, create_sessionmaker
from storage.evidence_store import EvidenceStore
from storage.repositories import Repos
from testkit.databases import EXAMPLES, restore_snapshot

ZONE = ZoneInfo("Asia/Shanghai")
SEED_DAY = date(2026, 11, 20)
AS_OF = date(2026, 11, 23)
IMPORTED_AT = datetime(2026, 3, 16, 2, 0, tzinfo=timezone.utc)  # the examples are imported on 16 March
CODES = ["C001", "C002", "C003", "C004", "C005"]  # every example commissioner has an agreement in 2026


@dataclass
class Seeded:
    sessionmaker: object
    store: EvidenceStore
    counts: dict[str, int]


async def import_examples(repos: Repos, clock) -> None:  # noqa: ANN001
    for kind in ("units", "enterprises", "commissioners", "agreements"):
        assert (await import_file(repos, clock, EXAMPLES / f"{kind}.csv", Kind(kind), "test")).ok


@pytest.fixture
async def imported(sessionmaker, clock, tmp_path: Path) -> Seeded:  # noqa: ANN001
    """The examples only (enough for the bureau's decisions)."""
    async with sessionmaker() as session:
        repos = Repos(session)
        await import_examples(repos, clock)
        await repos.commit()
    clock.set(datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc))
    return Seeded(sessionmaker, EvidenceStore(tmp_path / "evidence"), {})


SNAPSHOT_COUNTS: dict[str, dict[str, int]] = {}  # per snapshot: what seed_activity made
SNAPSHOT_EVIDENCE: dict[str, Path] = {}  # per snapshot: its evidence store, copied into each test


async def restore_seeded_year(database_url: str, templates: dict[str, str], tmp_path_factory, policy,  # noqa: ANN001
                              tmp_path: Path, name: str = "seeded",
                              import_clock: FrozenClock | None = None,
                              then: Callable[[Repos], Awaitable[None]] | None = None) -> dict[str, int]:
    """Make the test's database the examples and a year of activity up to SEED_DAY (built once per
    run, backend, policy and `name`; `then` adds to it), its evidence files under
    tmp_path/evidence; what was seeded."""
    key = f"{name}_{policy.key}_{'sqlite' if database_url.startswith('sqlite') else 'pg'}"

    async def build(url: str) -> None:
        engine = create_engine(url)
        store = EvidenceStore(tmp_path_factory.mktemp(f"{name}-evidence"))
        try:
            async with create_sessionmaker(engine)() as session:
                repos = Repos(session)
                await import_examples(repos, import_clock or FrozenClock(IMPORTED_AT))
                SNAPSHOT_COUNTS[key] = await seed_activity(repos, store, policy, ZONE, SEED_DAY)
                if then is not None:
                    await then(repos)
                await repos.commit()
        finally:
            await engine.dispose()
        SNAPSHOT_EVIDENCE[key] = store.root

    await restore_snapshot(database_url, key, templates, tmp_path_factory, build)
    shutil.copytree(SNAPSHOT_EVIDENCE[key], tmp_path / "evidence")
    return dict(SNAPSHOT_COUNTS[key])


@pytest.fixture
async def seeded(database_url, migrated_templates, tmp_path_factory, sessionmaker, clock, policy,  # noqa: ANN001
                 tmp_path: Path) -> Seeded:
    """The examples, and a year of activity up to 20 November 2026: seeded once per run and
    backend (a few seconds), then cloned for each test with its evidence files."""
    counts = await restore_seeded_year(database_url, migrated_templates, tmp_path_factory, policy, tmp_path)
    clock.set(datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc))
    return Seeded(sessionmaker, EvidenceStore(tmp_path / "evidence"), counts)


async def assessed(seeded: Seeded, policy, year: int = 2026):  # noqa: ANN001, ANN201
    """The year assessed as of AS_OF."""
    async with seeded.sessionmaker() as session:
        return await assess(Repos(session), policy, year, AS_OF)
