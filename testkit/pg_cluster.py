"""A PostgreSQL cluster of a test's own (initdb, pg_ctl), on its own port and data folder, for a
test that must stop and start the server: the shared one of scripts/start-postgres.sh serves
everyone else's tests and must never stop. Made as the postgres user when run as root (PostgreSQL
refuses to run as root); tuned for speed, not safety (no fsync: throw-away data)."""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path


def _bin_dir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


BIN = _bin_dir()


class PrivateCluster:
    def __init__(self, port: int) -> None:
        assert BIN is not None, "PostgreSQL's server programs are not installed"
        self.port = port
        # Not under pytest's tmp_path: that is private to root, and the server runs as postgres.
        self.folder = Path(tempfile.mkdtemp(prefix="tepai-pg-"))
        self.data = self.folder / "data"
        self.url = f"postgresql+asyncpg://tepai@127.0.0.1:{port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> None:
        command = " ".join(shlex.quote(a) for a in args)
        if os.geteuid() == 0:
            argv = ["su", "postgres", "-s", "/bin/sh", "-c", command]
        else:
            argv = ["sh", "-c", command]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            log = self.folder / "server.log"
            raise RuntimeError(f"{command}: {done.stderr}\n{log.read_text(errors='replace')[-2000:] if log.exists() else ''}")

    def create(self) -> PrivateCluster:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(str(BIN / "initdb"), "-D", str(self.data), "-U", "tepai", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        return self

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c full_page_writes=off -c synchronous_commit=off -c shared_buffers=16MB -c max_connections=40")
        self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"), "-o", options,
                  "-w", "-t", "60", "start")

    def stop(self) -> None:
        """Fast shutdown: the server ends every session (the bot's pooled connections die)."""
        self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
