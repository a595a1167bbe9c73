"""Real `tepai webhook --no-set-webhook` worker processes for the load benchmark, on loopback ports,
one PostgreSQL database and one data folder between them, stopped with Ctrl+C (SIGINT) at the end."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType

from aiohttp import ClientSession

from testkit.botkit import BOT_TOKEN

TEPAI = Path(sys.executable).with_name("tepai")
READY_WITHIN_S = 180  # a busy shared machine takes its time to import and migrate


class Workers:
    def __init__(self, count: int, ports: list[int], *, url: str, api: str, path: str, secret: str,
                 folder: Path, extra_env: dict[str, str] | None = None) -> None:
        self.ports = ports[:count]
        self.urls = [f"http://127.0.0.1:{port}" for port in self.ports]
        self.logs = [folder / f"worker-{port}.log" for port in self.ports]
        self.env = os.environ | {
            "TEPAI_BOT_TOKEN": BOT_TOKEN, "TEPAI_DATABASE_URL": url, "TEPAI_API_SERVER": api,
            "TEPAI_WEBHOOK_URL": f"https://bot.example.cn{path}", "TEPAI_WEBHOOK_SECRET": secret,
            "TEPAI_SCHEDULER": "off", "TEPAI_DATA_DIR": str(folder / "data"), "TEPAI_LANGUAGE": "zh",
        } | (extra_env or {})
        self.processes: list[subprocess.Popen] = []

    async def __aenter__(self) -> Workers:
        for port, log in zip(self.ports, self.logs):
            self.processes.append(subprocess.Popen(
                [str(TEPAI), "webhook", "--no-set-webhook", "--host", "127.0.0.1", "--port", str(port)],
                env=self.env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                # Its own session, as a service of its own would be: Linux's scheduler (autogroup)
                # shares the CPU between sessions first, so workers in the bench's session would
                # split one share between them and a second worker could not add any.
                start_new_session=True))
        try:
            async with ClientSession() as http:
                for url in self.urls:
                    await _until_ready(http, url, self.processes)
        except BaseException:
            await self.stop()
            for log in self.logs:
                print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)
            raise
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    async def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGINT)
        for process in self.processes:
            try:
                await asyncio.to_thread(process.wait, 30)
            except subprocess.TimeoutExpired:
                process.kill()

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def log_errors(self) -> int:
        """Lines in the workers' logs that report an error or a traceback."""
        return sum(1 for log in self.logs for line in log.read_text(errors="replace").splitlines()
                   if " ERROR " in line or line.startswith("Traceback"))


async def _until_ready(http: ClientSession, url: str, processes: list[subprocess.Popen]) -> None:
    for _ in range(READY_WITHIN_S * 10):
        if any(p.poll() is not None for p in processes):
            raise RuntimeError("a worker stopped while starting; see its log")
        try:
            async with http.get(f"{url}/healthz") as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"worker {url} did not answer /healthz within {READY_WITHIN_S} s")
