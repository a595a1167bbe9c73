"""The web console's test world: a seeded year (cloned per test), the real app on aiohttp's test
server, and signing in the way a person does (open the link, press the button)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from domain.clock import FrozenClock
from domain.web_access import BUREAU, Scope
from services import web_access
from storage.evidence_store import EvidenceStore
from storage.models import Commissioner, Visit
from storage.repositories import Repos
from testkit.years import ZONE, restore_seeded_year
from web.app import create_app
from web.context import Console

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
COUNTY_A, COUNTY_B = "城区", "矿区"  # C001/E001 and C002/E002 in the examples
SCOPES = {"bureau": BUREAU, "county_a": Scope(frozenset({COUNTY_A})), "county_b": Scope(frozenset({COUNTY_B}))}


@dataclass
class WebWorld:
    client: TestClient
    sessionmaker: object
    clock: FrozenClock
    store: EvidenceStore

    async def link(self, scope: Scope = BUREAU, name: str = "测试管理员") -> str:
        async with self.sessionmaker() as session:
            repos = Repos(session)
            token = await web_access.create_link(repos, self.clock, scope, name, "test")
            await repos.commit()
        return f"/signin/{token}"

    async def sign_in(self, who: str = "bureau", client: TestClient | None = None) -> str:
        """Sign `client` in with a fresh link for `who`; returns the page's CSRF token."""
        client = client or self.client
        response = await open_link(client, await self.link(SCOPES[who]))
        assert response.status == 200, await response.text()
        return csrf_of(await response.text())


async def open_link(client: TestClient, path: str):  # noqa: ANN201 - the final response
    page = await client.get(path)
    nonce = re.search(r'name="nonce" value="([^"]+)"', await page.text())
    assert nonce, await page.text()
    return await client.post(path, data={"nonce": nonce.group(1)})


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


async def _reuse_a_photo(repos: Repos) -> None:
    """County A's commissioner logs a visit with the photo of an earlier one, far from the site:
    a flagged visit whose evidence the console must show side by side."""
    rows = (await repos.session.scalars(
        select(Visit).join(Commissioner, Commissioner.id == Visit.commissioner_id)
        .where(Commissioner.code == "C001", Visit.enterprise.has(county=COUNTY_A)).order_by(Visit.visit_date)
    )).all()
    earlier, later = rows[0], rows[-1]
    later.files[0].file_id = earlier.files[0].file_id
    later.flags = [{"flag": "reused", "photo": 1, "visit": earlier.id},
                   {"flag": "far", "distance_m": 3150, "radius_m": 1000}]
    later.evidence_status = "flagged"
    REUSED[later.id] = earlier.id


REUSED: dict[int, int] = {}  # the flagged visit's id -> the earlier visit its photo came from


@pytest.fixture
async def web_world(database_url, migrated_templates, tmp_path_factory, sessionmaker, policy,  # noqa: ANN001
                    tmp_path: Path) -> WebWorld:
    """The examples and a year of activity up to 20 November 2026 (seeded once per run and backend),
    served by the console app."""
    await restore_seeded_year(database_url, migrated_templates, tmp_path_factory, policy, tmp_path, name="web",
                              import_clock=FrozenClock(NOW), then=_reuse_a_photo)
    clock = FrozenClock(NOW)
    store = EvidenceStore(tmp_path / "evidence")
    console = Console(sessionmaker, policy, clock, ZONE, store, "http://console.example.cn")
    client = TestClient(TestServer(create_app(console)))
    await client.start_server()
    try:
        yield WebWorld(client, sessionmaker, clock, store)
    finally:
        await client.close()
