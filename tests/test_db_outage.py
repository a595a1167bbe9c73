"""The database away: at start, one clear line and exit code 69; in the middle of a run, updates
are tried again with growing pauses and handled once it is back."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import make_url

from bot.cli import EXIT_NO_DATABASE
from bot.factory import create_bot, create_dispatcher
from bot.middlewares import Retry
from locales import Translator
from storage.db import create_engine, create_sessionmaker
from storage.evidence_store import EvidenceStore
from testkit.botkit import BOT_TOKEN, Harness, Person, RecordingSession, texts
from testkit.databases import ROOT
from testkit.ports import free_port

UNREACHABLE = {  # a port picked when the test runs (testkit.ports), nothing listening there
    "postgres": lambda: f"postgresql+asyncpg://tepai:hunter2@127.0.0.1:{free_port()}/tepai",
    "sqlite": lambda: "sqlite+aiosqlite:////dev/null/not-a-dir/tepai.db",
}


def tepai(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "TEPAI_BOT_TOKEN": BOT_TOKEN, **env})


@pytest.mark.parametrize("backend", sorted(UNREACHABLE))
@pytest.mark.parametrize("command", [["run"], ["db", "current"]])
def test_unreachable_at_start_is_one_line_and_its_own_exit_code(backend, command, tmp_path):  # noqa: ANN001
    done = tepai(*command, env={"TEPAI_DATABASE_URL": UNREACHABLE[backend](), "TEPAI_DATA_DIR": str(tmp_path)})
    assert done.returncode == EXIT_NO_DATABASE, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("无法连接数据库"), done.stderr
    assert "hunter2" not in done.stderr  # the password is not printed


class CuttableProxy:
    """A TCP proxy in front of PostgreSQL that can be cut (connections dropped, new ones refused)
    and restored: the database server going away and coming back, as the bot sees it."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def cut(self) -> None:
        self.server.close()
        await self.server.wait_closed()
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers |= {writer, up_writer}
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.transport.abort()


async def test_database_away_mid_run_is_waited_out(database_url, engine, tmp_path, policy, clock):  # noqa: ANN001
    """`engine` only makes the database a migrated one; the bot connects through the proxy."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        pytest.skip("a SQLite file does not go away; its lock is tested in test_bot_contention")
    proxy = CuttableProxy(url.host, url.port or 5432)
    await proxy.start()
    proxied = create_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    try:
        session = RecordingSession()
        dp = create_dispatcher(sessionmaker=create_sessionmaker(proxied), policy=policy, clock=clock,
                               zone=ZoneInfo("Asia/Shanghai"), evidence_store=EvidenceStore(tmp_path / "ev"),
                               retry=Retry(attempts=6, first_pause_s=0.2))
        h = Harness(dp=dp, bot=create_bot(BOT_TOKEN, session=session), session=session)
        assert "/" in texts(await h.feed(h.message(Person(7001), "/help")))[0]

        await proxy.cut()  # the server goes away, with the pool's connections
        asyncio.get_running_loop().call_later(1.0, lambda: asyncio.ensure_future(proxy.start()))
        said = texts(await asyncio.wait_for(h.feed(h.message(Person(7002), "/help")), 30))
        assert len(said) == 1 and said[0] != Translator("zh")("fallback.not_handled") and "/" in said[0]
    finally:
        await proxied.dispose()
        await proxy.cut()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_too_many_connections_is_worth_trying_again(database_url, engine) -> None:  # noqa: ANN001
    """Several workers' pools together can pass max_connections for a moment (SQLSTATE 53300):
    an update meeting it is tried again, not recorded as failed."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from storage.db import is_transient

    async with engine.begin() as admin:
        await admin.execute(text(f'ALTER DATABASE "{make_url(database_url).database}" CONNECTION LIMIT 0'))
    other = create_engine(database_url)
    try:
        with pytest.raises(DBAPIError) as failed:
            async with other.connect() as conn:
                await conn.execute(text("SELECT 1"))
        assert is_transient(failed.value), failed.value
    finally:
        await other.dispose()
        async with engine.begin() as admin:
            await admin.execute(text(f'ALTER DATABASE "{make_url(database_url).database}" CONNECTION LIMIT -1'))
