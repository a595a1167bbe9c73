"""`tepai demo`: a realistic demo database in its own folder, built offline with the real importer."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from domain.clock import Clock, SystemClock, local_today
from domain.invites import deep_link
from domain.policy import Policy
from domain.roles import Role
from domain.web_access import BUREAU
from locales import Translator
from locales.columns import aligned
from services import onboarding, web_access
from services.assessment import assess
from services.demo_activity import seed_activity
from services.demo_data import demo_counties, demo_records
from services.digest import collect, last_month, last_week, weekly_text
from services.dossier import build, to_pdf, write_dossier
from services.importer import import_file
from services.monthly_report import monthly_html
from services.roster import write_roster
from services.xlsx import workbook_of
from storage import migrate
from storage.db import create_engine, create_sessionmaker, sqlite_url
from storage.evidence_store import EvidenceStore
from storage.repositories import Repos


@dataclass
class DemoResult:
    database: Path
    workbook: Path
    lines: list[str] = field(default_factory=list)


def write_workbook(path: Path, sheets: dict[str, list[list]]) -> None:
    workbook_of(sheets).save(path)


DEMO_DOSSIERS = 3  # sample dossiers written; `tepai dossier` makes the rest
DEMO_COMMISSIONERS = 30  # each with at least one agreement, so each has a year of activity


def demo_steps() -> int:
    """How many times `build_demo` calls its `step`: the import, each commissioner's year, the
    roster, the digests and each sample dossier."""
    return 1 + DEMO_COMMISSIONERS + 2 + DEMO_DOSSIERS


async def build_demo(folder: Path, bot_username: str, t: Translator, policy: Policy, zone: ZoneInfo,
                     web_url: str = "http://127.0.0.1:8080", clock: Clock | None = None,
                     step: Callable[[], object] = lambda: None) -> DemoResult:
    """A year up to today (`clock`'s, the system's by default) under the policy's city and rules;
    `step` is called `demo_steps()` times along the way (the command line's progress bar)."""
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "tepai.db"
    for stale in (database, folder / "tepai.db-wal", folder / "tepai.db-shm"):
        stale.unlink(missing_ok=True)  # the demo is rebuilt from scratch every time
    clock = clock or SystemClock()
    workbook = folder / "demo-data.xlsx"
    counties = demo_counties(policy.key)
    write_workbook(workbook, demo_records(clock.now().year, policy.city_zh, counties, DEMO_COMMISSIONERS))
    result = DemoResult(database, workbook)
    engine = create_engine(sqlite_url(database))
    try:
        await migrate.upgrade(engine)
        async with create_sessionmaker(engine)() as session:
            repos = Repos(session)
            report = await import_file(repos, clock, workbook, None, actor="demo", counties=policy.counties)
            if not report.ok:  # pragma: no cover - the generator makes valid data
                raise RuntimeError(f"demo data failed its own checks: {report.problems[:3]}")
            step()
            links, county = [], next(iter(counties))
            for role, code, name in ((Role.COMMISSIONER, "C001", None), (Role.ENTERPRISE, "E001", None),
                                     (Role.COUNTY, county, f"{county}管理员"), (Role.BUREAU, "市科技局管理员", None)):
                target = await onboarding.resolve_target(repos, role, code, name)
                new = await onboarding.create_invite(repos, clock, target, "demo")
                links.append([f"  {t(f'roles.{role.value}')}", f"{target.display_name}:",
                              deep_link(bot_username, new.token)])
            web_token = await web_access.create_link(repos, clock, BUREAU, t("web.bureau_name"), "demo")
            await repos.commit()
            today = local_today(clock, zone)
            store = EvidenceStore(folder / "evidence")
            activity = await seed_activity(repos, store, policy, zone, today, step=step)
            await repos.commit()
            assessment = await assess(repos, policy, today.year, today)
            roster = folder / f"roster-{today.year}.xlsx"
            write_roster(roster, policy, t, assessment)
            step()
            outputs = [roster]
            since, until = last_week(today)
            weekly = folder / f"digest-week-{since.isoformat()}.txt"
            weekly.write_text(weekly_text(t, await collect(repos, policy, t, since, until)), "utf-8")
            month_start, month_end = last_month(today)
            monthly = folder / f"digest-{month_start:%Y-%m}.pdf"
            month_digest = await collect(repos, policy, t, month_start, month_end)
            monthly.write_bytes(to_pdf(monthly_html(t, policy, month_digest)))
            outputs += [weekly, monthly]
            step()
            for graded in assessment.graded[:DEMO_DOSSIERS]:
                dossier = await build(repos, policy, store, t, assessment, graded.scored.inputs.code, clock.now())
                outputs += write_dossier(folder / "dossiers", dossier)
                step()
    finally:
        await engine.dispose()
    for sheet in report.sheets:
        result.lines.append(t("demo.count", kind=t(f"cli.kind.{sheet.kind.value}"),
                              count=report.created[sheet.kind.value]))
    result.lines[:0] = [t("demo.title", folder=folder), t("demo.database", path=database),
                        t("demo.workbook", path=workbook)]
    result.lines.append(t("demo.activity", **activity))
    result.lines += [t("demo.outputs"), *(f"  {path}" for path in outputs)]
    result.lines += [t("demo.invites"), *(" ".join(row) for row in aligned(links))]
    result.lines.append(t("demo.run", folder=folder))
    result.lines += [t("web.demo_link", folder=folder), f"  {web_access.link_url(web_url, web_token)}"]
    return result
