"""Load benchmark: complete visit conversations of many commissioners posted over HTTP to real
`tepai webhook` workers on PostgreSQL, the Bot API answered by a local stand-in (bench/load_api.py),
the posts made by a generator in its own process (bench/load_users.py).

First the floor (bench/load_floor.py): one worker answering the same conversations with the
same Telegram calls in aiogram and aiohttp alone, no database and no logic, at its capacity; the
real workers' figures are then also given as a fraction of it. Then, for 1 and then 2 workers, once the commissioners have each told a visit (warming the workers
up): the capacity (updates a second, enough commissioners talking without pause), then latency
per step kind at half and at 90 % of the one-worker capacity. Then it counts
what was stored: lost updates (answered 200 but not recorded as handled), lost and duplicate visits
(stored visits against visits confirmed with a 200), and errors (non-200 answers, answers the
conversation did not expect, ERROR lines in the workers' logs).

    .venv/bin/python -m bench.load            # 1 and 2 workers: about ten minutes on a busy machine
    .venv/bin/python -m bench.load --short    # a quick look: 1 worker, a few seconds a phase
    .venv/bin/python -m bench.load --no-floor # the real workers only

PostgreSQL: TEPAI_BENCH_PG_ADMIN_URL (as `make bench` sets it) or TEPAI_TEST_PG_ADMIN_URL.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from aiohttp import ClientSession
from sqlalchemy.engine import make_url

from bench._fake_api_process import FakeApiProcess
from bench.load_api import LoadBotApi
from bench.load_floor import script_of
from bench.load_seed import seed, stored_counts
from bench.visit_flow import record_visit
from testkit.databases import scratch_database
from testkit.ports import free_ports
from testkit.webhook_workers import WebhookWorkers

SECRET = "load-bench-secret"
PATH = "/telegram/hook"
SOCKET_DIR = "/var/run/postgresql"  # Debian's; scripts/start-postgres.sh lets the tepai role in
PORTS = range(21700, 21800)
READY_WITHIN_S = 180  # a busy shared machine takes its time to import and migrate
TELEGRAM_IDS = 7_000_000
# Each run gets its own update ids: commissioner i counts from i * UPDATE_SPAN + run * RUN_SPAN.
UPDATE_SPAN, RUN_SPAN = 1_000_000, 500_000
TARGET = 150  # updates/s of one worker (issue 17): a budget of 1000/TARGET ms of CPU per update


def _plan(args: argparse.Namespace, people: list[tuple[int, str | None]], api: str, run: int, workers: WebhookWorkers,
          base_rate: float | None, cpu_pids: dict[str, list[int]], database: str | None,
          paced: bool = True) -> dict[str, Any]:
    # The same commissioners talk in every phase: they are spread over the conversation's steps,
    # so paced phases see the visit's own mix of steps, not a crowd of fresh /visit commands.
    phases = [{"name": "capacity", "seconds": args.seconds, "concurrency": args.concurrency}]
    if paced:
        phases += [{"name": "half", "seconds": args.seconds, "load": 0.5, "concurrency": args.concurrency},
                   {"name": "90%", "seconds": args.seconds, "load": 0.9, "concurrency": args.concurrency}]
    role = "workers" if database else "floor"
    return {"workers": workers.urls, "cpu_pids": cpu_pids | {role: workers.pids}, "database": database,
            "path": PATH, "secret": SECRET, "api": api, "base_rate": base_rate,
            "first_photo": run * RUN_SPAN, "phases": phases, "warm_up": args.concurrency,
            "commissioners": [{"telegram_id": tg, "invite": token if run == 0 else None,
                               "first_update": i * UPDATE_SPAN + run * RUN_SPAN}
                              for i, (tg, token) in enumerate(people)]}


async def _generate(plan: dict[str, Any]) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.load_users", stdin=asyncio.subprocess.PIPE,
                                                stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate(json.dumps(plan).encode())
    if proc.returncode:
        raise RuntimeError(f"the load generator failed ({proc.returncode})")
    return json.loads(out)


def _load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _print_run(title: str, result: dict[str, Any]) -> None:
    print(f"{title} (load average {_load_average()})")
    for name, phase in result["phases"].items():
        offered = f", offered {phase['offered']:.1f}/s" if phase["offered"] else ""
        print(f"  {name:>8}: {phase['rate']:7.1f} updates/s{offered} ({phase['steps']} updates)")
        cpu = phase["cpu_ms_per_update"]
        print("            CPU ms per update: " + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items())
              + "; busy: " + ", ".join(f"{k} {v:.0%}" for k, v in phase["cpu_busy"].items()))
        if name != "capacity":
            for kind, q in phase["latency"].items():
                print(f"            {kind:>8}  p50 {q['p50']:6.1f} ms  p95 {q['p95']:6.1f} ms  p99 {q['p99']:6.1f} ms")


async def _floor(args: argparse.Namespace, people: list[tuple[int, str]], api: FakeApiProcess, api_url: str,
                 folder: Path) -> dict[str, Any]:
    """The floor worker's capacity on the same conversations (no one to onboard: it has no users),
    and the Bot API calls it made."""
    script = folder / "floor-calls.json"
    script.write_text(json.dumps(script_of(await record_visit())))
    async with WebhookWorkers(free_ports(PORTS, 1), database_url="", api=api_url, path=PATH, secret=SECRET,
                              folder=folder, ready_within_s=READY_WITHIN_S, own_session=True,
                              command=("-m", "bench.load_floor", "--script", str(script))) as floor:
        plan = _plan(args, [(tg, None) for tg, _ in people], api_url, 0, floor, None,
                     {"stand-in": [api.process.pid]}, None, paced=False)
        result = await _generate(plan)
        result["log_errors"] = floor.log_errors()
    async with ClientSession() as http, http.get(f"{api_url}/methods") as response:
        result["calls"] = await response.json()
    _print_run("floor: aiogram + aiohttp alone, 1 worker", result)
    cpu = result["phases"]["capacity"]["cpu_ms_per_update"]["floor"]
    print(f"            floor CPU per update {cpu:.2f} ms = {cpu * TARGET / 1000:.0%} of the {1000 / TARGET:.1f} ms "
          f"a worker may spend for {TARGET}/s")
    return result


def _against_floor(count: int, result: dict[str, Any], floor: dict[str, Any]) -> None:
    mine, base = result["phases"]["capacity"], floor["phases"]["capacity"]
    cpu, floor_cpu = mine["cpu_ms_per_update"]["workers"] / count, base["cpu_ms_per_update"]["floor"]
    print(f"{count} worker{'s' if count > 1 else ''}: {mine['rate'] / base['rate']:.2f} of the floor's updates/s; "
          f"CPU per update per worker {cpu:.2f} ms, {cpu / floor_cpu:.1f} times the floor's {floor_cpu:.2f} ms")


def _over(url: str, connect: str) -> str:
    """The workers' database URL: over TCP as given, or over the server's Unix socket (one
    machine: a round trip costs the client about half the CPU, measured with asyncpg alone)."""
    if connect == "tcp":
        return url
    parsed = make_url(url)
    return parsed.set(host=None, query={**parsed.query, "host": SOCKET_DIR}).render_as_string(hide_password=False)


async def run(admin_url: str, args: argparse.Namespace) -> dict[str, Any]:
    results: dict[int, dict[str, Any]] = {}
    floor: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        async with scratch_database(admin_url, "tepai_load") as tcp_url:
            url = _over(tcp_url, args.connect)
            print(f"PostgreSQL over {'the Unix socket in ' + SOCKET_DIR if args.connect == 'socket' else 'TCP'}")
            people = await seed(url, args.commissioners, TELEGRAM_IDS)
            api = FakeApiProcess(LoadBotApi)
            api_url = api.start()
            try:
                if args.floor:
                    floor = await _floor(args, people, api, api_url, Path(tmp))
                base_rate = None
                for run_no, count in enumerate(args.workers):
                    # Each worker in its own session, as a service of its own would be: Linux's
                    # scheduler (autogroup) shares the CPU between sessions first, so workers in the
                    # bench's session would split one share and a second worker could add none.
                    async with WebhookWorkers(free_ports(PORTS, count), database_url=url, api=api_url, path=PATH,
                                              secret=SECRET, folder=Path(tmp), env={"TEPAI_LANGUAGE": "zh"},
                                              ready_within_s=READY_WITHIN_S, own_session=True) as workers:
                        plan = _plan(args, people, api_url, run_no, workers, base_rate,
                                     {"stand-in": [api.process.pid]}, make_url(url).database)
                        results[count] = await _generate(plan)
                        results[count]["log_errors"] = workers.log_errors()
                    base_rate = base_rate or results[count]["phases"]["capacity"]["rate"]
                    _print_run(f"{count} worker{'s' if count > 1 else ''}", results[count])
                    if floor:
                        _against_floor(count, results[count], floor)
            finally:
                calls = api.stop()["methods"]
            counts = await stored_counts(url, [u for r in results.values() for u in r["answered"]])
    return _report(results, counts, calls, floor)


def _report(results: dict[int, dict[str, Any]], counts: dict[str, Any], calls: dict[str, int],
            floor: dict[str, Any] | None) -> dict[str, Any]:
    confirmed: dict[int, int] = {}
    for r in results.values():
        for tg, n in r["visits"].items():
            confirmed[int(tg)] = confirmed.get(int(tg), 0) + n
    stored = counts["visits"]
    lost_visits = sum(max(0, n - stored.get(tg, 0)) for tg, n in confirmed.items())
    duplicates = sum(max(0, stored.get(tg, 0) - n) for tg, n in confirmed.items())
    runs = [*results.values(), *([floor] if floor else [])]
    errors = sum(len(r["errors"]) + r["non_200"] + r["log_errors"] for r in runs)
    caps = {n: r["phases"]["capacity"]["rate"] for n, r in results.items()}
    out = {"capacity": caps, "lost_updates": counts["unrecorded"], "lost_visits": lost_visits,
           "duplicates": duplicates, "errors": errors, "visits": sum(confirmed.values()), "calls": calls,
           "results": results}
    if 1 in caps and 2 in caps:
        out["ratio"] = caps[2] / caps[1]
        print(f"2 workers / 1 worker throughput: {out['ratio']:.2f}   (target >= 1.4)")
    print(f"visits confirmed {out['visits']}; lost updates {out['lost_updates']}, lost visits {lost_visits}, "
          f"duplicate visits {duplicates}, errors {errors}   (target 0/0/0/0)")
    for r in runs:
        for line in r["errors"][:5]:
            print(f"  error: {line}")
    if floor:
        print(f"Bot API calls of the floor ({sum(floor['visits'].values())} visits):",
              _calls(floor["calls"], floor["in_response"]))
        calls = {m: n - floor["calls"].get(m, 0) for m, n in calls.items()}
    in_response = sum((Counter(r["in_response"]) for r in results.values()), Counter())
    out["in_response"] = dict(in_response)
    print(f"Bot API calls of the workers ({out['visits']} visits, each commissioner's /start, start-up):",
          _calls(calls, in_response))
    return out


def _calls(requested: dict[str, int], in_response: dict[str, int]) -> str:
    """Each method's calls: those the stand-in received and those carried in webhook responses."""
    calls = Counter(requested) + Counter(in_response)
    return ", ".join(f"{m} {n}" + (f" ({in_response[m]} in webhook responses)" if in_response.get(m) else "")
                     for m, n in sorted(calls.items()) if n)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    p.add_argument("--short", action="store_true", help="1 worker, 3 commissioners, 2 s a phase")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to run, in order")
    p.add_argument("--commissioners", type=int, default=64)
    p.add_argument("--concurrency", type=int, default=48, help="commissioners talking at once for the capacity")
    p.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    p.add_argument("--connect", choices=["socket", "tcp"], default="socket" if Path(SOCKET_DIR).is_dir() else "tcp",
                   help="how the workers reach PostgreSQL on this machine (default: the Unix socket if there is one)")
    p.add_argument("--floor", action=argparse.BooleanOptionalAction, default=True,
                   help="first measure the floor worker (bench/load_floor.py)")
    args = p.parse_args(argv)
    if args.short:
        args.workers, args.commissioners, args.concurrency, args.seconds = [1], 3, 3, 2.0
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    sys.stdout.reconfigure(line_buffering=True)  # each figure as soon as it is measured
    admin = os.environ.get("TEPAI_BENCH_PG_ADMIN_URL") or os.environ.get("TEPAI_TEST_PG_ADMIN_URL")
    if not admin:
        print("the load benchmark needs PostgreSQL: set TEPAI_BENCH_PG_ADMIN_URL (make bench does)", file=sys.stderr)
        return 2
    out = asyncio.run(run(admin, args))
    return 0 if out["lost_updates"] == out["lost_visits"] == out["duplicates"] == out["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
