"""`tepai dossier --jobs N`: a cohort's dossiers made by N worker processes, one per core.

The parent assesses the year once and hands each worker, when it starts, what every dossier shares
(the policy, the assessment, the output folder: `services.dossier_batch.Batch`). It then feeds
commissioner codes in small chunks, a few chunks ahead of the workers and no more, and hears back
only each code's outcome: the HTML and PDF are written by the worker, never sent back.

Each worker opens its own read-only engine (SQLite's query_only, PostgreSQL's read-only
transactions: workers never write) and its own evidence store, and keeps one font set-up for the
dossiers it makes. After TASKS_PER_WORKER chunks a worker is replaced by a fresh one, so whatever a
long run would leave in one process (Pango's and Fontconfig's caches, a fragmented heap) goes with
it and memory stays that of a few dossiers. Workers are forked from a server process that has
already imported WeasyPrint and the services (`forkserver`), so a new worker starts in moments.
"""
from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import islice

from bot.settings import Settings
from services.dossier_batch import Batch, Rendered, render_each
from storage.db import create_engine, create_sessionmaker

CHUNK = 4  # codes per task: the bar moves smoothly and the last workers finish close together
AHEAD = 2  # chunks queued per worker beyond the one it is on: workers never wait, the parent holds few codes
TASKS_PER_WORKER = 25  # chunks (100 dossiers) before a worker is replaced by a fresh process
PRELOAD = ["bot.dossier_pool", "services.dossier", "weasyprint"]  # imported once, in the fork server


@dataclass(frozen=True)
class Job:
    """What a worker is started with."""
    settings: Settings
    batch: Batch


_job: Job | None = None  # this worker's, set when it starts (a worker process serves one run)


def _start_worker(job: Job) -> None:
    global _job
    _job = job


def _render_chunk(codes: list[str]) -> list[Rendered]:
    """In a worker: one chunk's dossiers written; the outcomes (small) go back to the parent."""
    return asyncio.run(_render(_job, codes))


async def _render(job: Job, codes: list[str]) -> list[Rendered]:
    engine = create_engine(job.settings.db_url, read_only=True)
    try:
        store = job.settings.evidence_store()  # the configured one: a folder or the bucket
        return [r async for r in render_each(create_sessionmaker(engine), store, job.batch, codes)]
    finally:
        await engine.dispose()


def render_in_pool(job: Job, codes: Iterable[str], jobs: int, done: Callable[[Rendered], None]) -> None:
    """Every code's dossier written by `jobs` worker processes; `done` hears of each as it ends
    (called in this thread). A worker that dies takes only its chunk's dossiers with it: they are
    reported failed, and so is everything not yet made once the pool is broken."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    chunks = _chunks(codes, CHUNK)
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker, initargs=(job,),
                             max_tasks_per_child=TASKS_PER_WORKER) as pool:
        in_flight: dict[Future, list[str]] = {}
        for chunk in chunks:
            while len(in_flight) >= jobs * (1 + AHEAD):
                finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in finished:
                    _report(future, in_flight.pop(future), done)
            try:
                in_flight[pool.submit(_render_chunk, chunk)] = chunk
            except BrokenProcessPool as broken:
                _fail(chunk, broken, done)
        for future in wait(in_flight).done:
            _report(future, in_flight[future], done)


def _report(future: Future, chunk: list[str], done: Callable[[Rendered], None]) -> None:
    try:
        outcomes = future.result()
    except Exception as exc:  # noqa: BLE001 - a worker died (killed, out of memory): its chunk failed
        _fail(chunk, exc, done)
        return
    for outcome in outcomes:
        done(outcome)


def _fail(chunk: list[str], exc: BaseException, done: Callable[[Rendered], None]) -> None:
    for code in chunk:
        done(Rendered(code, f"{type(exc).__name__}: {exc}"))


def _chunks(codes: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(codes)
    while chunk := list(islice(it, size)):
        yield chunk
