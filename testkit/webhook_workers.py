"""Real `tepai webhook --no-set-webhook` worker processes on loopback ports, for the tests and the
load benchmark: one database and one data folder between them, each worker's output in a log of its
own, started and waited for until each answers /healthz, stopped with Ctrl+C (SIGINT) as a person
would stop them, so they drain what they hold."""
from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from types import TracebackType

import psutil
from aiohttp import ClientSession

from testkit.botkit import BOT_TOKEN
from testkit.cli import cli_env

STOP_WITHIN_S = 30


class WorkersNotReady(RuntimeError):
    """A worker stopped while starting, or did not answer /healthz in time; carries the logs' ends."""


class WebhookWorkers:
    """`async with WebhookWorkers(...) as workers:` the workers serve `workers.urls` inside."""

    def __init__(self, ports: list[int], *, database_url: str, api: str, path: str, secret: str,
                 folder: Path, data_dir: Path | None = None, env: dict[str, str] | None = None,
                 ready_within_s: float = 180, own_session: bool = False,
                 command: tuple[str, ...] = ("-m", "bot", "webhook", "--no-set-webhook")) -> None:
        """`folder` holds the logs (and the data folder, unless `data_dir` names one); `env` adds
        to (or overrides) the workers' settings; `own_session` starts each in a session of its
        own, as a service would be; `command`: what Python runs, before --host and --port (the
        load benchmark's floor worker, bench/load_floor.py, is started the same way)."""
        self.ports = list(ports)
        self.urls = [f"http://127.0.0.1:{port}" for port in self.ports]
        self.logs = [folder / f"worker-{port}.log" for port in self.ports]
        self.folder, self.ready_within_s, self.own_session = folder, ready_within_s, own_session
        self.command = command
        self.env = cli_env(**{
            "TEPAI_BOT_TOKEN": BOT_TOKEN, "TEPAI_DATABASE_URL": database_url, "TEPAI_API_SERVER": api,
            "TEPAI_WEBHOOK_URL": f"https://bot.example.cn{path}", "TEPAI_WEBHOOK_SECRET": secret,
            "TEPAI_SCHEDULER": "off", "TEPAI_DATA_DIR": str(data_dir or folder / "data")} | (env or {}))
        self.processes: list[asyncio.subprocess.Process] = []

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    async def start(self) -> None:
        for port, log in zip(self.ports, self.logs):
            with log.open("ab") as out:
                self.processes.append(await asyncio.create_subprocess_exec(
                    sys.executable, *self.command, "--host", "127.0.0.1", "--port", str(port),
                    cwd=self.folder, env=self.env, stdin=asyncio.subprocess.DEVNULL, stdout=out,
                    stderr=asyncio.subprocess.STDOUT, start_new_session=self.own_session))
        try:
            await self._until_ready()
        except BaseException:
            await self.stop()
            raise

    async def _until_ready(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.ready_within_s
        async with ClientSession() as http:
            for process, port, url in zip(self.processes, self.ports, self.urls):
                # Asked only once this worker listens there itself: engineers run these tests side by
                # side, and a port free when it was chosen may be another run's worker by now, which
                # would answer /healthz and then take this run's updates into its own database.
                while not (_listens(process.pid, port) and await _healthy(http, url)):
                    if any(p.returncode is not None for p in self.processes):
                        raise WorkersNotReady(f"a worker stopped while starting\n{self.log_tails()}")
                    if loop.time() > deadline:
                        raise WorkersNotReady(f"{url} did not answer /healthz within {self.ready_within_s} s\n"
                                              f"{self.log_tails()}")
                    await asyncio.sleep(0.1)

    async def stop(self) -> None:
        for process in self.processes:
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), STOP_WITHIN_S)
            except asyncio.TimeoutError:
                process.kill()
                await process.wait()

    async def __aenter__(self) -> WebhookWorkers:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    def log_tails(self, chars: int = 3000) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-chars:]}"
                         for log in self.logs if log.exists())

    def log_errors(self) -> int:
        """Lines in the workers' logs that report an error or a traceback."""
        return sum(1 for log in self.logs if log.exists()
                   for line in log.read_text(errors="replace").splitlines()
                   if " ERROR " in line or line.startswith("Traceback"))


def _listens(pid: int, port: int) -> bool:
    try:
        connections = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.NoSuchProcess:
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in connections)


async def _healthy(http: ClientSession, url: str) -> bool:
    try:
        async with http.get(f"{url}/healthz") as response:
            return response.status == 200
    except OSError:
        return False
