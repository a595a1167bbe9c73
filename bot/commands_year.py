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
from locales.columns import aligned
from storage.db import create_sessionmaker
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
    table = aligned([[g.rank, g.scored.inputs.code, g.scored.inputs.name, f"{g.scored.total:.1f}", labels[g.grade],
                      basis(t, policy, g.reason)] for g in result.graded], right={0, 3})
    for rank, code, name, total, grade, why in table:
        print(t("assess.row", rank=rank, code=code, name=name, total=total, grade=grade, basis=why))
    if roster is not None:
        count = write_roster(roster, policy, t, result, county)
        print(t("assess.written", path=roster, rows=count))
    return EXIT_OK


async def dossiers(settings: Settings, policy: Policy, t: Translator, year: int, code: str | None,
                   out: Path, jobs: int = 1) -> int:
    """`jobs` > 1: the cohort's dossiers are made by that many worker processes (bot/dossier_pool.py);
    1 (or one commissioner): in this process."""
    from services.assessment import assess as assess_year
    from services.dossier_batch import Batch, Rendered, render_each

    if await nothing_to_read(settings, t, f"dossier --year {year}"):
        return EXIT_FAILED
    clock = SystemClock()
    as_of = local_today(clock, settings.zone)
    async with database(settings.db_url) as engine:
        async with create_sessionmaker(engine)() as session:
            result = await assess_year(Repos(session), policy, year, as_of)
        codes = [g.scored.inputs.code for g in result.graded]
        if code is not None:
            if code not in codes:
                print(t("cli.invite_unknown", kind=t("roles.commissioner"), code=code), file=sys.stderr)
                return EXIT_FAILED
            codes = [code]
        if not codes:
            print(t("cli.dossiers_none", year=year), file=sys.stderr)
            return EXIT_FAILED
        batch = Batch(policy, t.lang, result, clock.now(), out, settings.map_tiles)
        failed: list[Rendered] = []
        with Progress(len(codes), t("cli.dossiers_progress")) as bar:
            def done(outcome: Rendered) -> None:
                if outcome.error is not None:
                    failed.append(outcome)
                    bar.say(t("cli.dossier_failed", code=outcome.code, reason=outcome.error))
                bar.advance(item=outcome.code)

            if jobs > 1 and len(codes) > 1:
                from bot.dossier_pool import Job, render_in_pool

                await asyncio.to_thread(render_in_pool, Job(settings, batch), codes, jobs, done)
            else:
                async for outcome in render_each(create_sessionmaker(engine), settings.evidence_store(),
                                                 batch, codes):
                    done(outcome)
    written = len(codes) - len(failed)
    if written:
        print(t("cli.dossier_written" if written == 1 else "cli.dossiers_written", count=written, path=out.resolve()))
    if failed:
        print(t("cli.dossiers_failed", failed=len(failed), count=len(codes)), file=sys.stderr)
        return EXIT_FAILED
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
    table = aligned([[i, m.candidate.code, m.candidate.name, f"{m.score:.1f}", ""]
                     for i, m in enumerate(matches, start=1)], right={0, 3})
    for (rank, code, name, score, _), m in zip(table, matches):
        print(t("match.row", rank=rank, code=code, name=name, score=score,
                shared=t("report.list_join").join(m.shared), county=m.candidate.county or "—",
                where=t("match.same_county") if m.same_county else "", free=max(m.free, 0),
                full=t("match.full") if m.full else ""))
    return EXIT_OK


async def notice(settings: Settings, t: Translator, xlsx: Path | None) -> int:
    from messages.selection import publicity_period_text
    from services.publicity_list import publicity_workbook
    from services.selection import in_publicity

    if await nothing_to_read(settings, t, "notice"):
        return EXIT_FAILED
    async with database(settings.db_url) as engine:
        async with create_sessionmaker(engine)() as session:
            rows = await in_publicity(Repos(session))
            table = aligned([[p.id, p.commissioner.name, p.commissioner.code, p.need.enterprise.name, p.need.field,
                              publicity_period_text(t, p), t(f"selection.status_{p.status}")] for p in rows],
                            right={0})
            lines = [t("selection.cli_row", id=i, commissioner=name, code=code, enterprise=enterprise, field=field,
                       period=period, status=status)
                     for i, name, code, enterprise, field, period, status in table]
            workbook = publicity_workbook(t, rows) if xlsx is not None else None
    print("\n".join(lines) if lines else t("selection.notice_none"))
    if workbook is not None:
        xlsx.parent.mkdir(parents=True, exist_ok=True)
        xlsx.write_bytes(workbook)
        print(t("selection.export_written", count=len(rows), path=xlsx))
    return EXIT_OK
