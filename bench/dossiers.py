"""`tepai dossier --year 2026` for cohorts of 100 and 1,000 commissioners with 24 visits each, run as
an operator runs it (a subprocess on a seeded data folder), with `--jobs 1` and with every core, side
by side: the time of each, the all-cores/one-process time ratio at the larger cohort (target
<= 0.6), and the peak memory of the command with all its processes (the sum of their resident
sizes, sampled every 0.1 s) at each size, with the larger/smaller ratio (target <= 1.2).

`python -m bench.dossiers [--sizes 100 1000] [--jobs N]`: smaller sizes for a quick look on a busy
machine. Seeding happens in this process, never in the measured one."""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import psutil
from sqlalchemy import insert

from services.demo_activity import _photo
from storage import migrate
from storage.db import create_engine, create_sessionmaker, sqlite_url
from storage.evidence_store import EvidenceStore
from storage.models import (Agreement, Commissioner, DispatchingUnit, Enterprise, StoredFile, User, Visit,
                            VisitFeedback, VisitFile)

VISITS_EACH = 24
SAMPLE_S = 0.1  # how often the command's processes are measured
YEAR = 2026


async def _seed(sessionmaker, store: EvidenceStore, people: int) -> None:  # noqa: ANN001
    rng = random.Random(people)
    now = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
    async with sessionmaker() as session:
        session.add(DispatchingUnit(code="U1", name="太原理工大学"))
        await session.flush()
        await session.execute(insert(Enterprise), [
            {"code": f"E{i:04d}", "name": f"阳泉第{i}科技有限公司", "county": "城区",
             "latitude": 37.85 + i * 0.001, "longitude": 113.58 + i * 0.001} for i in range(50)])
        await session.execute(insert(Commissioner), [
            {"code": f"C{i:04d}", "name": f"专家{i}", "unit_id": 1, "county": "城区"} for i in range(people)])
        await session.execute(insert(User), [{"telegram_id": 1, "full_name": "bench", "created_at": now,
                                              "failed_starts": 0}])
        await session.execute(insert(Agreement), [
            {"commissioner_id": i + 1, "enterprise_id": i % 50 + 1, "start_date": date(YEAR, 1, 1),
             "end_date": date(YEAR, 12, 31), "status": "active"} for i in range(people)])
        pool = []
        for n in range(20):
            facts = store.put_image(_photo(rng, datetime(YEAR, 5, 1, 10), (37.85, 113.58)))
            pool.append({"sha256": facts.sha256, "kind": "image", "ext": facts.ext, "size_bytes": facts.size_bytes,
                         "width": facts.width, "height": facts.height, "phash": f"{facts.phash:016x}",
                         "created_at": now})
        await session.execute(insert(StoredFile), pool)
        visits, files, answers = [], [], []
        for c in range(people):
            for v in range(VISITS_EACH):
                vid = c * VISITS_EACH + v + 1
                visits.append({"id": vid, "draft_key": f"b{vid}", "commissioner_id": c + 1, "enterprise_id": c % 50 + 1,
                               "agreement_id": c + 1, "author_user_id": 1, "kind": "guidance", "mode": "on_site",
                               "visit_date": date(YEAR, 1, 1) + timedelta(days=(v * 13) % 320), "logged_at": now,
                               "late": False, "summary": "现场技术指导，解决工艺问题。", "latitude": 37.85,
                               "longitude": 113.58, "evidence_status": "verified", "flags": [],
                               "live_location": False})
                files.append({"visit_id": vid, "file_id": vid % 20 + 1, "position": 1,
                              "file_unique_id": f"u{vid}", "source": "photo", "forwarded": False})
                answers.append({"visit_id": vid, "enterprise_id": c % 50 + 1, "status": "confirmed",
                                "prompted_at": now, "reminders_sent": 0, "rating": 4 + vid % 2, "rated_at": now})
        await session.execute(insert(Visit), visits)
        await session.execute(insert(VisitFile), files)
        await session.execute(insert(VisitFeedback), answers)
        await session.commit()


async def _seeded(folder: Path, people: int) -> None:
    """`folder` as TEPAI_DATA_DIR: tepai.db (migrated) and evidence/, with `people` commissioners."""
    engine = create_engine(sqlite_url(folder / "tepai.db"))
    try:
        await migrate.upgrade(engine)
        await _seed(create_sessionmaker(engine), EvidenceStore(folder / "evidence"), people)
    finally:
        await engine.dispose()


class Sampler:
    """The largest sum of resident sizes of a process and all its descendants (the fork server and
    the workers), sampled every SAMPLE_S seconds while it runs; the largest single process; and the
    CPU seconds they used (each process's latest reading), which, over the wall time, tells how many
    cores the command actually got: on a shared machine with the kernel's autogroup scheduling, a
    session's processes share one fair slice however many they are."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.total = self.single = 0
        self._cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_S):
            try:
                processes = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            sizes = []
            for process in processes:
                try:
                    sizes.append(process.memory_info().rss)
                    used = process.cpu_times()
                except psutil.NoSuchProcess:  # a worker replaced between listing and reading
                    continue
                self._cpu[process.pid] = used.user + used.system
            self.total = max(self.total, sum(sizes))
            self.single = max(self.single, max(sizes, default=0))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def cpu_seconds(self) -> float:
        return sum(self._cpu.values())


def dossiers(folder: Path, jobs: int) -> dict[str, float]:
    """One `tepai dossier` run over the seeded folder: seconds, peak MB of all its processes, of the largest."""
    out = folder / f"out-{jobs}"
    env = {**os.environ, "TEPAI_DATA_DIR": str(folder), "TEPAI_POLICY": "yangquan", "TEPAI_LANGUAGE": "zh"}
    start = time.perf_counter()
    command = subprocess.Popen([sys.executable, "-m", "bot", "dossier", "--year", str(YEAR), "--jobs", str(jobs),
                                "--out", str(out)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = Sampler(command.pid)
    stdout, stderr = command.communicate()
    seconds = time.perf_counter() - start
    peak.stop()
    if command.returncode != 0:
        raise SystemExit(f"tepai dossier --jobs {jobs} failed ({command.returncode}):\n{stdout}\n{stderr}")
    made = len(list(out.glob("*.pdf")))
    return {"seconds": seconds, "peak_mb": peak.total / 1e6, "largest_mb": peak.single / 1e6, "pdfs": made,
            "cores": peak.cpu_seconds / seconds}


def run(sizes: list[int], jobs: int) -> dict[int, dict[int, dict[str, float]]]:
    results: dict[int, dict[int, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for people in sizes:
            folder = Path(tmp) / f"cohort-{people}"
            asyncio.run(_seeded(folder, people))
            results[people] = {n: dossiers(folder, n) for n in (1, jobs)}
            for n, r in results[people].items():
                print(f"  {people:>5} dossiers, --jobs {n}: {r['seconds']:7.1f} s, peak {r['peak_mb']:5.0f} MB "
                      f"(largest process {r['largest_mb']:.0f} MB), {r['pdfs']} PDFs, {r['cores']:.2f} cores used on "
                      f"average (load {os.getloadavg()[0]:.1f})", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[100, 1000], metavar=("SMALL", "LARGE"))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="all cores (default: every core)")
    args = parser.parse_args()
    small, large = args.sizes
    print(f"  tepai dossier, {VISITS_EACH} visits each, on {os.cpu_count()} cores (load {os.getloadavg()[0]:.1f})")
    results = run([small, large], args.jobs)
    one, many = results[large][1], results[large][args.jobs]
    print(f"  {'':24}{'--jobs 1':>12}{f'--jobs {args.jobs}':>12}")
    for people in (small, large):
        r = results[people]
        print(f"  {f'{people} dossiers, s':<24}{r[1]['seconds']:12.1f}{r[args.jobs]['seconds']:12.1f}")
    for people in (small, large):
        r = results[people]
        print(f"  {f'{people} dossiers, peak MB':<24}{r[1]['peak_mb']:12.0f}{r[args.jobs]['peak_mb']:12.0f}")
    print(f"  time, --jobs {args.jobs} / --jobs 1 at {large}:      {many['seconds'] / one['seconds']:6.2f}   (target <= 0.6)")
    for n in (1, args.jobs):
        ratio = results[large][n]["peak_mb"] / results[small][n]["peak_mb"]
        target = "   (target <= 1.2)" if n == args.jobs else ""
        print(f"  peak memory {large}/{small}, --jobs {n}:  {ratio:6.2f}{target}")


if __name__ == "__main__":
    main()
