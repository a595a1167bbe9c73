"""`tepai assess`, `tepai dossier`, `tepai match` and `tepai notice`: the year's figures, dossiers and
the selection lists."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.commands_cli import EXIT_FAILED, EXIT_OK, database, nothing_to_read
from bot.progress import Progress
from bot.settings import Settings
from domain.clock import SystemClock, local_today
from domain.policy import Policy
from locales import Translator
from storage.db import create_sessionmaker
from storage.evidence_store import EvidenceStore
from storage.repositories import Repos


async def assess(settings: Settings, policy: Policy, t: Translator, year: int, roster: Path | None,
                 county: str | None) -> int:
    from services.assessment import assess as assess_year
    from services.assessment_texts import basis
    from services.roster import write_roster

    if await nothing_to_read(settings, t, f"assess --year {year}"):
        return EXIT_FAILED
    as_of = local_today(SystemClock(), settings.zone)
    async with database(settings.db_url) as engine:
        async with create_sessionmaker(engine)() as session:
            result = await assess_year(Repos(session), policy, year, as_of)
    labels = {g.key: g.text(t.lang) for g in policy.grades}
    print(t("assess.title", year=year, policy=policy.title(t.lang), as_of=as_of, count=len(result.graded)))
    if policy.top_grade_cap is not None:
        from domain.scoring import top_grade_places

        print(t("assess.cap", grade=labels[policy.grades[0].key], cap=top_grade_places(policy, len(result.graded)),
                percent=round(policy.top_grade_cap * 100)))
    for g in result.graded:
        print(t("assess.row", rank=g.rank, code=g.scored.inputs.code, name=g.scored.inputs.name,
                total=g.scored.total, grade=labels[g.grade], basis=basis(t, policy, g.reason)))
    if roster is not None:
        count = write_roster(roster, policy, t, result, county)
        print(t("assess.written", path=roster, rows=count))
    return EXIT_OK


async def dossiers(settings: Settings, policy: Policy, t: Translator, year: int, code: str | None,
                   out: Path) -> int:
    from services.assessment import assess as assess_year
    from services.dossier import build, write_dossier

    if await nothing_to_read(settings, t, f"dossier --year {year}"):
        return EXIT_FAILED
    clock = SystemClock()
    as_of = local_today(clock, settings.zone)
    store = settings.evidence_store()
    async with database(settings.db_url) as engine:
        async with create_sessionmaker(engine)() as session:
            repos = Repos(session)
            result = await assess_year(repos, policy, year, as_of)
            codes = [g.scored.inputs.code for g in result.graded]
            if code is not None:
                if code not in codes:
                    print(t("cli.invite_unknown", kind=t("roles.commissioner"), code=code), file=sys.stderr)
                    return EXIT_FAILED
                codes = [code]
            if not codes:
                print(t("cli.dossiers_none", year=year), file=sys.stderr)
                return EXIT_FAILED
            with Progress(len(codes), t("cli.dossiers_progress")) as bar:
                for each in codes:
                    dossier = await build(repos, policy, store, t, result, each, clock.now(),
                                          map_tiles=settings.map_tiles)
                    await asyncio.to_thread(write_dossier, out, dossier)
                    bar.advance(item=each)
    print(t("cli.dossier_written" if len(codes) == 1 else "cli.dossiers_written", count=len(codes),
            path=out.resolve()))
    return EXIT_OK


async def match(settings: Settings, policy: Policy, t: Translator, need: str, county: str | None, limit: int) -> int:
    from services.matching import match_need

    if await nothing_to_read(settings, t, f"match {need}"):
        return EXIT_FAILED
    today = local_today(SystemClock(), settings.zone)
    async with database(settings.db_url) as engine:
        async with create_sessionmaker(engine)() as session:
            matches = await match_need(Repos(session), policy, today, need, county, limit)
    if not matches:
        print(t("match.none"))
        return EXIT_OK
    for i, m in enumerate(matches, start=1):
        c = m.candidate
        print(t("match.row", rank=i, code=c.code, name=c.name, score=m.score,
                shared=t("report.list_join").join(m.shared), county=c.county or "—",
                where=t("match.same_county") if m.same_county else "", free=max(m.free, 0),
                full=t("match.full") if m.full else ""))
    return EXIT_OK


async def notice(settings: Settings, t: Translator, xlsx: Path | None) -> int:
    from messages.selection import publicity_entry
    from services.publicity_list import publicity_workbook
    from services.selection import in_publicity

    if await nothing_to_read(settings, t, "notice"):
        return EXIT_FAILED
    async with database(settings.db_url) as engine:
        async with create_sessionmaker(engine)() as session:
            rows = await in_publicity(Repos(session))
            lines = [publicity_entry(t, p).replace("\n", "  ") for p in rows]
            workbook = publicity_workbook(t, rows) if xlsx is not None else None
    print("\n".join(lines) if lines else t("selection.notice_none"))
    if workbook is not None:
        xlsx.parent.mkdir(parents=True, exist_ok=True)
        xlsx.write_bytes(workbook)
        print(t("selection.export_written", count=len(rows), path=xlsx))
    return EXIT_OK
