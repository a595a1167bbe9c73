"""What each `tepai` sub-command does; `bot.cli` parses the arguments and calls these."""
from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.cli_database import has_data
from bot.settings import Settings
from domain.clock import SystemClock, local_today
from domain.invites import deep_link
from domain.policy import Policy
from domain.records import Kind
from domain.roles import Role
from locales import Translator
from services import onboarding
from services.importer import ImportFileError, ImportReport, import_file
from storage import migrate
from storage.db import create_engine, create_sessionmaker, reach
from storage.evidence_store import EvidenceStore
from storage.repositories import Repos

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@asynccontextmanager
async def _database(url: str, upgrade: bool = True) -> AsyncIterator:
    engine = create_engine(url)
    try:
        await reach(engine)
        if upgrade:
            await migrate.upgrade(engine)
        yield engine
    finally:
        await engine.dispose()


def _valid_token(settings: Settings) -> str | None:
    # aiogram takes seconds to import; only the commands that talk to Telegram pay for it.
    from aiogram.utils.token import TokenValidationError, validate_token

    token = settings.bot_token.get_secret_value().strip() if settings.bot_token else ""
    try:
        validate_token(token)
    except TokenValidationError:
        return None
    return token


def _serve(settings: Settings, policy: Policy, t: Translator, serve) -> int:  # noqa: ANN001
    """Run a long-lived Telegram-facing coroutine: a valid token first, logging, Ctrl+C to stop."""
    token = _valid_token(settings)
    if token is None:
        print(t("cli.bad_token"), file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings)
    from bot.telegram_reach import WrongToken

    try:
        asyncio.run(serve(settings, policy, token, t))
    except KeyboardInterrupt:
        return EXIT_OK
    except WrongToken:
        print(t("cli.wrong_token"), file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def configure_logging(settings: Settings) -> None:
    """TEPAI_LOG_LEVEL for everything; APScheduler's line per job run only when debugging."""
    level = getattr(logging, settings.log_level)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(level if level == logging.DEBUG else max(level, logging.WARNING))


def run(settings: Settings, policy: Policy, t: Translator) -> int:
    from bot.runner import run_polling

    return _serve(settings, policy, t, run_polling)


def scheduler(settings: Settings, policy: Policy, t: Translator) -> int:
    from bot.runner import run_scheduler

    return _serve(settings, policy, t, run_scheduler)


def webhook(settings: Settings, policy: Policy, t: Translator, host: str, port: int, set_webhook: bool) -> int:
    missing = [name for name, value in (("TEPAI_WEBHOOK_URL", settings.webhook_url),
                                        ("TEPAI_WEBHOOK_SECRET", settings.webhook_secret)) if not value]
    if missing:
        print(t("cli.webhook_missing", names=", ".join(missing)), file=sys.stderr)
        return EXIT_USAGE
    from functools import partial

    from bot.webhook import run_webhook

    return _serve(settings, policy, t, partial(run_webhook, host=host, port=port, set_webhook=set_webhook))


async def db(settings: Settings, t: Translator, action: str, revision: str | None) -> int:
    async with _database(settings.db_url, upgrade=False) as engine:
        if action == "upgrade":
            await migrate.upgrade(engine)
            print(t("cli.migrated", revision=migrate.head_revision(), url=_safe_url(settings.db_url)))
        elif action == "downgrade":
            await migrate.downgrade(engine, revision or "base")
            print(t("cli.downgraded", revision=revision, url=_safe_url(settings.db_url)))
        else:
            current = await migrate.current_revision(engine)
            print(t("cli.current", revision=current or "—", head=migrate.head_revision()))
    return EXIT_OK


async def _nothing_to_read(settings: Settings, t: Translator, command: str) -> bool:
    """Say so (and how to look at the demo) when a read-only command's database is missing or empty."""
    if await has_data(settings.db_url):
        return False
    print(t("cli.empty_database", url=_safe_url(settings.db_url), command=command), file=sys.stderr)
    return True


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


async def import_(settings: Settings, policy: Policy, t: Translator, path: Path, kind: Kind | None) -> int:
    async with _database(settings.db_url) as engine:
        async with create_sessionmaker(engine)() as session:
            repos = Repos(session)
            try:
                report = await import_file(repos, SystemClock(), path, kind, actor="cli", zone=settings.zone,
                                           counties=policy.counties)
            except ImportFileError as exc:
                print(t(f"importer.{exc.key}", **exc.values), file=sys.stderr)
                return EXIT_FAILED
            if not report.ok:
                await repos.rollback()
                print_import_report(t, path, report, sys.stderr)
                return EXIT_FAILED
            await repos.commit()
    print_import_report(t, path, report, sys.stdout)
    return EXIT_OK


def print_import_report(t: Translator, path: Path, report: ImportReport, out) -> None:  # noqa: ANN001
    if report.ok:
        print(t("cli.import_ok", path=path), file=out)
        for sheet in report.sheets:
            kind = sheet.kind.value
            print(t("cli.import_counts", kind=t(f"cli.kind.{kind}"), created=report.created[kind],
                    updated=report.updated[kind], unchanged=report.unchanged[kind]), file=out)
    else:
        print(t("cli.import_failed", path=path), file=out)
        for label, problem in report.problems:
            where = t("importer.row", row=problem.row) if problem.row else t("importer.sheet")
            column = t(f"importer.column.{problem.column}") if problem.column else ""
            text = t(f"importer.problem.{problem.key}", column=column, value=problem.value or "")
            print(t("cli.import_problem", where=f"{label} {where}", text=text), file=out)
    if report.skipped_sheets:
        print(t("cli.import_skipped", sheets=", ".join(report.skipped_sheets)), file=out)
    for sheet in report.sheets:
        if sheet.ignored_columns:
            print(t("cli.import_ignored_columns", sheet=sheet.label, columns=", ".join(sheet.ignored_columns)),
                  file=out)


async def _bot_username(settings: Settings) -> str | None:
    if settings.bot_username:
        return settings.bot_username
    token = _valid_token(settings)
    if token is None:
        return None
    from bot.factory import create_bot

    bot = create_bot(token, settings.api_server, proxy=settings.proxy)
    try:
        return (await bot.me()).username
    finally:
        await bot.session.close()


async def invite(settings: Settings, policy: Policy, t: Translator, kind: str, code: str,
                 name: str | None, days: int | None) -> int:
    username = await _bot_username(settings)
    if not username:
        print(t("cli.no_username"), file=sys.stderr)
        return EXIT_USAGE
    from domain.roles import INVITE_KINDS
    from domain.words import role_of

    role = role_of(kind)
    if role is None:
        valid = "、".join(f"{k}（{t(f'roles.{k}')}）" for k in INVITE_KINDS)
        print(t("cli.invite_unknown_kind", word=kind, valid=valid), file=sys.stderr)
        return EXIT_USAGE
    kind = role.value
    if role == Role.COUNTY and policy.counties and code not in policy.counties:
        print(t("cli.invite_unknown_county", county=code, valid="、".join(policy.counties)), file=sys.stderr)
        return EXIT_FAILED
    async with _database(settings.db_url) as engine:
        async with create_sessionmaker(engine)() as session:
            repos = Repos(session)
            try:
                target = await onboarding.resolve_target(repos, role, code, name)
            except onboarding.UnknownTarget:
                print(t("cli.invite_unknown", kind=t(f"roles.{kind}"), code=code), file=sys.stderr)
                return EXIT_FAILED
            days = days if days is not None else policy.invite_days
            new = await onboarding.create_invite(repos, SystemClock(), target, "cli", days)
            await repos.commit()
    expires = new.invite.expires_at.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")
    print(t("cli.invite_made", role=t(f"roles.{kind}"), name=target.display_name,
            subject=target.subject_name or "—", days=days, expires=expires))
    print(deep_link(username, new.token))
    return EXIT_OK


async def assess(settings: Settings, policy: Policy, t: Translator, year: int, roster: Path | None,
                 county: str | None) -> int:
    from services.assessment import assess as assess_year
    from services.assessment_texts import basis
    from services.roster import write_roster

    if await _nothing_to_read(settings, t, f"assess --year {year}"):
        return EXIT_FAILED
    as_of = local_today(SystemClock(), settings.zone)
    async with _database(settings.db_url) as engine:
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

    if await _nothing_to_read(settings, t, f"dossier --year {year}"):
        return EXIT_FAILED
    clock = SystemClock()
    as_of = local_today(clock, settings.zone)
    store = EvidenceStore(settings.evidence_dir)
    async with _database(settings.db_url) as engine:
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
            for done, each in enumerate(codes, start=1):
                dossier = await build(repos, policy, store, t, result, each, clock.now(),
                                      map_tiles=settings.map_tiles)
                await asyncio.to_thread(write_dossier, out, dossier)
                _progress(done, len(codes), each)
    print(t("cli.dossier_written" if len(codes) == 1 else "cli.dossiers_written", count=len(codes),
            path=out.resolve()))
    return EXIT_OK


def _progress(done: int, total: int, label: str, width: int = 30) -> None:
    filled = int(width * done / total) if total else width
    end = "\n" if done == total else ""
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label:<8}", end=end, file=sys.stderr, flush=True)


async def match(settings: Settings, policy: Policy, t: Translator, need: str, county: str | None, limit: int) -> int:
    from services.matching import match_need

    if await _nothing_to_read(settings, t, f"match {need}"):
        return EXIT_FAILED
    today = local_today(SystemClock(), settings.zone)
    async with _database(settings.db_url) as engine:
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

    if await _nothing_to_read(settings, t, "notice"):
        return EXIT_FAILED
    async with _database(settings.db_url) as engine:
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


async def disqualify(settings: Settings, policy: Policy, t: Translator, code: str, reason: str, note: str) -> int:
    from services.disqualification import DisqualifyError
    from domain.words import label_key
    from services.disqualification import disqualify as disqualify_

    reasons = policy.disqualification.reasons
    key = label_key(reasons, reason)
    if key is None:  # violation or 有违法违纪行为: the policy's words in either language
        valid = "\n".join(f"  {r.key}：{r.text(t.lang)}" for r in reasons)
        print(t("cli.disqualify_unknown_reason", word=reason, valid=valid), file=sys.stderr)
        return EXIT_FAILED
    reason, label = key, next(r.text(t.lang) for r in reasons if r.key == key)
    async with _database(settings.db_url) as engine:
        async with create_sessionmaker(engine)() as session:
            repos = Repos(session)
            try:
                row = await disqualify_(repos, SystemClock(), policy, settings.zone, code=code, reason_key=reason,
                                        note=note, actor="cli")
            except DisqualifyError as exc:
                print(t("disqualify.cli_failed", error=t(f"disqualify.error_{exc.reason}")), file=sys.stderr)
                return EXIT_FAILED
            await repos.commit()
            name = row.commissioner.name
    print(t("disqualify.cli_done", name=name, code=code, reason=label, count=len(row.agreements_ended),
            until=row.barred_until.isoformat(), recover=t("disqualify.cli_yes" if row.recover_subsidies
                                                           else "disqualify.cli_no")))
    return EXIT_OK


def serve_web(settings: Settings, policy: Policy, t: Translator, host: str, port: int) -> int:
    from aiohttp import web

    from web.app import create_app
    from web.context import Console

    async def app() -> web.Application:
        engine = create_engine(settings.db_url)
        await migrate.upgrade(engine)
        console = Console(create_sessionmaker(engine), policy, SystemClock(), settings.zone,
                          EvidenceStore(settings.evidence_dir), settings.web_url, settings.map_tiles)
        application = create_app(console)

        async def close(_: web.Application) -> None:
            await engine.dispose()

        application.on_cleanup.append(close)
        return application

    configure_logging(settings)
    print(t("web.serving", url=settings.web_url), file=sys.stderr)
    web.run_app(app(), host=host, port=port, print=None)
    return EXIT_OK


async def web_link(settings: Settings, t: Translator, county: str | None, name: str | None) -> int:
    from domain.web_access import BUREAU, Scope
    from services import web_access

    scope = Scope(frozenset({county})) if county else BUREAU
    name = name or (t("web.county_name", county=county) if county else t("web.bureau_name"))
    async with _database(settings.db_url) as engine:
        async with create_sessionmaker(engine)() as session:
            repos = Repos(session)
            token = await web_access.create_link(repos, SystemClock(), scope, name, "cli")
            await repos.commit()
    print(t("web.cli_link", name=name, scope=county or t("web.scope_bureau")))
    print(web_access.link_url(settings.web_url, token))
    return EXIT_OK


async def demo(settings: Settings, policy: Policy, t: Translator, folder: Path) -> int:
    from services.demo import build_demo

    result = await build_demo(folder.resolve(), settings.bot_username or "tepai_demo_bot", t, policy, settings.zone,
                              settings.web_url)
    for line in result.lines:
        print(line)
    # The demo lives in its own folder: the next commands read it only when pointed at it.
    year = local_today(SystemClock(), settings.zone).year
    print(t("cli.demo_next", data_dir=f"TEPAI_DATA_DIR={folder.resolve()}", year=year))
    return EXIT_OK


def _sqlite_database(settings: Settings) -> Path | None:
    from sqlalchemy.engine import make_url

    url = make_url(settings.db_url)
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


def backup(settings: Settings, t: Translator, archive: Path) -> int:
    from storage.backup import BackupError
    from storage.backup import backup as write_backup

    database = _sqlite_database(settings)
    if database is None:
        print(t("cli.backup_postgres", url=_safe_url(settings.db_url), evidence=settings.evidence_dir), file=sys.stderr)
        return EXIT_USAGE
    try:
        files = write_backup(database, settings.evidence_dir, archive)
    except BackupError as exc:
        print(t(f"cli.backup_{exc.key}", **exc.values), file=sys.stderr)
        return EXIT_FAILED
    print(t("cli.backup_written", path=archive.resolve(), files=files))
    return EXIT_OK


def restore(settings: Settings, t: Translator, archive: Path, force: bool) -> int:
    from storage.backup import BackupError
    from storage.backup import restore as put_back

    database = _sqlite_database(settings)
    if database is None:
        print(t("cli.backup_postgres", url=_safe_url(settings.db_url), evidence=settings.evidence_dir), file=sys.stderr)
        return EXIT_USAGE
    try:
        files = put_back(archive, database, settings.evidence_dir, force=force)
    except BackupError as exc:
        print(t(f"cli.backup_{exc.key}", **exc.values), file=sys.stderr)
        return EXIT_FAILED
    print(t("cli.restored", path=database, files=files))
    return EXIT_OK

