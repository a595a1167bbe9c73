"""Dossiers for 100 and for 1,000 commissioners with 24 visits each: time per dossier (HTML and
PDF), peak memory, database statements per dossier, and the 1,000/100 total time ratio."""
from __future__ import annotations

import asyncio
import random
import resource
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import event, insert

from domain.policy import load_policy
from locales import Translator
from services.assessment import assess
from services.demo_activity import _photo
from services.dossier import build, to_pdf
from storage import migrate
from storage.db import create_engine, create_sessionmaker, sqlite_url
from storage.evidence_store import EvidenceStore
from storage.models import (Agreement, Commissioner, DispatchingUnit, Enterprise, StoredFile, User, Visit,
                            VisitFeedback, VisitFile)
from storage.repositories import Repos

VISITS_EACH = 24
TRACE_MEMORY = False  # tracemalloc slows everything several times: peak memory is read from VmHWM
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


async def cohort(people: int, pdf_sample: int | None = None) -> dict[str, float]:
    policy = load_policy("yangquan")
    t = Translator("zh")
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(sqlite_url(Path(tmp) / "bench.db"))
        await migrate.upgrade(engine)
        sessionmaker = create_sessionmaker(engine)
        store = EvidenceStore(Path(tmp) / "evidence")
        await _seed(sessionmaker, store, people)
        statements = [0]
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
        if TRACE_MEMORY:
            tracemalloc.start()
        start = time.perf_counter()
        html_time = pdf_time = 0.0
        per_dossier_statements = []
        async with sessionmaker() as session:
            repos = Repos(session)
            result = await assess(repos, policy, YEAR, date(YEAR, 11, 23))
            codes = [g.scored.inputs.code for g in result.graded]
            for index, code in enumerate(codes):
                before = statements[0]
                t0 = time.perf_counter()
                dossier = await build(repos, policy, store, t, result, code, datetime(2026, 11, 23))
                html_time += time.perf_counter() - t0
                per_dossier_statements.append(statements[0] - before)
                if pdf_sample is None or index < pdf_sample:
                    t0 = time.perf_counter()
                    to_pdf(dossier.html)
                    pdf_time += time.perf_counter() - t0
                session.expunge_all()  # one dossier's rows need not stay in memory for the next
        total = time.perf_counter() - start
        if TRACE_MEMORY:
            tracemalloc.stop()
        # The process's peak resident memory so far (this benchmark runs in its own process).
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        await engine.dispose()
    pdfs = people if pdf_sample is None else min(pdf_sample, people)
    return {"people": people, "total_s": total, "html_ms": html_time / people * 1000, "pdf_ms": pdf_time / pdfs * 1000 if pdfs else 0.0,
            "statements_min": min(per_dossier_statements), "statements_max": max(per_dossier_statements),
            "peak_mb": peak / 1e6, "pdfs": pdfs}


async def run() -> dict[str, dict]:
    small = await cohort(100)
    large = await cohort(1000)
    return {"100": small, "1000": large, "ratio": large["total_s"] / small["total_s"]}


def main() -> None:
    result = asyncio.run(run())
    for key in ("100", "1000"):
        r = result[key]
        print(f"  {r['people']:>5} commissioners x {VISITS_EACH} visits: {r['total_s']:7.1f} s in all; per dossier "
              f"HTML {r['html_ms']:.0f} ms, PDF {r['pdf_ms']:.0f} ms; {r['statements_min']}-{r['statements_max']} "
              f"statements each; peak memory {r['peak_mb']:.0f} MB")
    print(f"  ratio 1000/100 total time:            {result['ratio']:8.2f}   (target <= 11)")


if __name__ == "__main__":
    main()
