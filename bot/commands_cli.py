"""What the `tepai` sub-commands that serve or keep the database do (run, scheduler, db, web,
web-link, demo), and what all of them share; `bot.cli` parses the arguments and calls these.
The records are in commands_records.py, the year's figures in commands_year.py."""
from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.cli_database import has_data
from bot.logs import configure_logging
from bot.settings import Settings
from domain.clock import SystemClock, local_today
from domain.policy import Policy
from locales import Translator
from storage import migrate, running_counts
from storage.db import create_engine, create_sessionmaker, reach
from storage.evidence_store import EvidenceStore
from storage.repositories import Repos

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@asynccontextmanager
async def database(url: str, upgrade: bool = True) -> AsyncIterator:
    engine = create_engine(url)
    try:
        await reach(engine)
        if upgrade:
            await migrate.upgrade(engine)
        yield engine
    finally:
        await engine.dispose()


def valid_token(settings: Settings) -> str | None:
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
    token = valid_token(settings)
    if token is None:
        print(t("cli.bad_token"), file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings)
    from bot.telegram_reach import WrongToken

    try:
        asyncio.run(serve(settings, policy, token, t))
    except (KeyboardInterrupt, asyncio.CancelledError):  # stopped while starting, or a second signal (bot/shutdown.py)
        return EXIT_OK
    except WrongToken:
        print(t("cli.wrong_token"), file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


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
    async with database(settings.db_url, upgrade=False) as engine:
        if action == "upgrade":
            await migrate.upgrade(engine)
            print(t("cli.migrated", revision=migrate.head_revision(), url=_safe_url(settings.db_url)))
        elif action == "downgrade":
            await migrate.downgrade(engine, revision or "base")
            print(t("cli.downgraded", revision=revision, url=_safe_url(settings.db_url)))
        elif action in ("counts", "recount"):
            await migrate.upgrade(engine)  # the counts' table comes with migration 0012
            return await _counts(engine, t, rebuild=action == "recount")
        else:
            current = await migrate.current_revision(engine)
            print(t("cli.current", revision=current or "—", head=migrate.head_revision()))
    return EXIT_OK


async def _counts(engine, t: Translator, rebuild: bool) -> int:  # noqa: ANN001 - AsyncEngine
    """`tepai db counts`: the running counts against a recount; `tepai db recount`: rebuilt."""
    async with engine.begin() as conn:
        if rebuild:
            rows = await conn.run_sync(running_counts.rebuild)
            print(t("cli.recounted", rows=rows))
            return EXIT_OK
        differ = await conn.run_sync(running_counts.check)
    for key, (kept, counted) in sorted(differ.items())[:20]:
        print(t("cli.count_differs", key=" ".join(map(str, key)), kept=kept, counted=counted))
    print(t("cli.counts_differ", n=len(differ)) if differ else t("cli.counts_agree"))
    return EXIT_FAILED if differ else EXIT_OK


async def nothing_to_read(settings: Settings, t: Translator, command: str) -> bool:
    """Say so (and how to look at the demo) when a read-only command's database is missing or empty."""
    if await has_data(settings.db_url):
        return False
    print(t("cli.empty_database", url=_safe_url(settings.db_url), command=command), file=sys.stderr)
    return True


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def serve_web(settings: Settings, policy: Policy, t: Translator, host: str, port: int) -> int:
    from aiohttp import web

    from web.app import create_app
    from web.context import Console

    async def app() -> web.Application:
        engine = create_engine(settings.db_url)
        await migrate.upgrade(engine)
        console = Console(create_sessionmaker(engine), policy, SystemClock(), settings.zone,
                          settings.evidence_store(), settings.web_url, settings.map_tiles)
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
    async with database(settings.db_url) as engine:
        async with create_sessionmaker(engine)() as session:
            repos = Repos(session)
            token = await web_access.create_link(repos, SystemClock(), scope, name, "cli")
            await repos.commit()
    print(t("web.cli_link", name=name, scope=county or t("web.scope_bureau")))
    print(web_access.link_url(settings.web_url, token))
    return EXIT_OK


async def demo(settings: Settings, policy: Policy, t: Translator, folder: Path) -> int:
    from bot.progress import Progress
    from services.demo import build_demo, demo_steps

    with Progress(demo_steps(), t("cli.demo_progress")) as bar:
        result = await build_demo(folder.resolve(), settings.bot_username or "tepai_demo_bot", t, policy,
                                  settings.zone, settings.web_url, step=bar.advance)
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
        print(t("cli.backup_postgres", url=_safe_url(settings.db_url), evidence=settings.evidence_location),
              file=sys.stderr)
        return EXIT_USAGE
    folder = settings.evidence_folder  # the bot's, wherever TEPAI_EVIDENCE_URL puts it
    if folder is None:  # in a bucket, not in the archive: say so
        print(t("cli.backup_evidence_in_bucket", url=settings.evidence_url), file=sys.stderr)
    from bot.progress import ProgressReport

    try:
        with ProgressReport(t("cli.backup_progress")) as progress:
            files = write_backup(database, folder, archive, progress)
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
        print(t("cli.backup_postgres", url=_safe_url(settings.db_url), evidence=settings.evidence_location),
              file=sys.stderr)
        return EXIT_USAGE
    from bot.progress import ProgressReport

    folder = settings.evidence_folder or settings.evidence_dir  # the bot's folder; beside the data for a bucket
    try:
        with ProgressReport(t("cli.restore_progress")) as progress:
            files = put_back(archive, database, folder, force=force, progress=progress)
    except BackupError as exc:
        print(t(f"cli.backup_{exc.key}", **exc.values), file=sys.stderr)
        return EXIT_FAILED
    print(t("cli.restored", path=database, files=files))
    if settings.evidence_folder is None:  # the bot will not look in that folder: say how to move it
        print(t("cli.restore_evidence_in_bucket", folder=folder, url=settings.evidence_url), file=sys.stderr)
    return EXIT_OK

