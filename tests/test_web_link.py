"""Getting a console link: `/web` in the chat (admins only, scoped like their grants) and
`tepai web-link` on the command line."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from aiogram.methods import SendMessage
from sqlalchemy import select

from domain.records import Kind
from domain.roles import Role
from services import onboarding
from services.importer import import_file
from storage.evidence_store import EvidenceStore
from storage.models import WebLink
from storage.repositories import Repos
from testkit.botkit import Harness, Person, texts
from testkit.databases import EXAMPLES
from testkit.ports import free_port

ZHANG, COUNTY, BUREAU_ADMIN = Person(1001, "伟", "张"), Person(3003, "敏", "王"), Person(4004, "局", "市")
LINK = re.compile(r"https://console\.example\.org/signin/([A-Za-z0-9_-]{32})")


@pytest.fixture
async def harness(sessionmaker, policy, clock, tmp_path) -> Harness:  # noqa: ANN001
    async with sessionmaker() as session:
        repos = Repos(session)
        for kind in ("units", "enterprises", "commissioners", "agreements"):
            assert (await import_file(repos, clock, EXAMPLES / f"{kind}.csv", Kind(kind), "test")).ok
        await repos.commit()
    return Harness.build(sessionmaker=sessionmaker, policy=policy, clock=clock, zone=ZoneInfo("Asia/Shanghai"),
                         evidence_store=EvidenceStore(tmp_path / "evidence"),
                         web_url="https://console.example.org")


async def _join(harness: Harness, person: Person, role: Role, code: str, name: str | None = None) -> None:
    async with harness.sessionmaker() as session:
        repos = Repos(session)
        target = await onboarding.resolve_target(repos, role, code, name)
        new = await onboarding.create_invite(repos, harness.dp["clock"], target, "cli")
        await repos.commit()
    await harness.send(person, f"/start {new.token}")


async def test_admins_get_a_scoped_one_time_link(harness) -> None:  # noqa: ANN001
    await _join(harness, COUNTY, Role.COUNTY, "城区", "王敏")
    await _join(harness, BUREAU_ADMIN, Role.BUREAU, "市局")
    sent = await harness.feed(harness.message(COUNTY, "/web"))
    assert LINK.search(texts(sent)[0]) and "10 分钟" in texts(sent)[0]
    assert next(r for r in sent if isinstance(r, SendMessage)).link_preview_options.is_disabled
    assert LINK.search((await harness.send(BUREAU_ADMIN, "/web"))[0])
    async with harness.sessionmaker() as session:
        rows = (await session.scalars(select(WebLink).order_by(WebLink.id))).all()
    assert [(r.counties, r.display_name) for r in rows] == [(["城区"], "王敏"), (None, "市局")]


async def test_others_get_no_link(harness) -> None:  # noqa: ANN001
    await _join(harness, ZHANG, Role.COMMISSIONER, "C001")
    assert "仅限" in (await harness.send(ZHANG, "/web"))[0]
    assert "仅限" in (await harness.send(Person(5005, "Mallory"), "/web"))[0]
    async with harness.sessionmaker() as session:
        assert (await session.scalars(select(WebLink))).all() == []


def test_cli_web_link_prints_a_link_under_the_base_url(tmp_path) -> None:  # noqa: ANN001
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEPAI_")}
    env.update(TEPAI_DATA_DIR=str(tmp_path), TEPAI_WEB_URL="https://console.example.org/")
    for args in (["web-link"], ["web-link", "--county", "城区"]):
        result = subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert LINK.fullmatch(result.stdout.splitlines()[-1])
    import sqlite3

    with sqlite3.connect(tmp_path / "tepai.db") as db:
        stored = [row[0] for row in db.execute("select counties from web_links order by id")]
    assert stored[0] is None and json.loads(stored[1]) == ["城区"]


def test_cli_web_serves_the_console(tmp_path) -> None:  # noqa: ANN001
    """`tepai web --port` migrates the database and answers; a link from `tepai web-link` opens it."""
    import time
    import urllib.error
    import urllib.request

    port = free_port()
    here = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEPAI_")}
    env.update(TEPAI_DATA_DIR=str(tmp_path), TEPAI_WEB_URL=here)
    server = subprocess.Popen([sys.executable, "-m", "bot", "web", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{here}/signin", timeout=2) as response:
                    assert response.status == 200 and "/web" in response.read().decode()
                    assert response.headers["X-Frame-Options"] == "DENY"
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
                time.sleep(0.3)
        link = subprocess.run([sys.executable, "-m", "bot", "web-link"], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=120).stdout.splitlines()[-1]
        assert link.startswith(f"{here}/signin/")
        with urllib.request.urlopen(link, timeout=5) as response:
            assert 'id="sign-in"' in response.read().decode()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{here}/", timeout=5)
        assert refused.value.code == 401
    finally:
        server.terminate()
        server.wait(timeout=10)
