"""The `tepai` command line (also `python -m bot`)."""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from pydantic import ValidationError

from domain.policy import PolicyError, load_policy
from domain.records import Kind
from locales import Translator

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_NO_DATABASE = 69  # sysexits.h EX_UNAVAILABLE: a supervisor may retry later, an operator must look


def _invite_days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text}") from None
    if not 1 <= days <= 90:
        raise argparse.ArgumentTypeError("an invite is valid for 1 to 90 days")
    return days


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tepai", description="Tepai 特派: field reporting for 科技特派员 programmes")
    parser.add_argument("--version", action="version", version=f"tepai {_version()}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="migrate the database if needed and run the bot (long polling)")
    hook = sub.add_parser("webhook", help="migrate if needed and serve Telegram's webhook posts (TEPAI_WEBHOOK_URL, "
                                          "TEPAI_WEBHOOK_SECRET)")
    hook.add_argument("--host", default="0.0.0.0")  # noqa: S104 - a worker behind a reverse proxy
    hook.add_argument("--port", type=int, default=8081)
    hook.add_argument("--no-set-webhook", dest="set_webhook", action="store_false",
                      help="do not call setWebhook (for the second and later workers)")
    sub.add_parser("scheduler", help="run only the scheduler and the sender (with TEPAI_SCHEDULER=off bots)")
    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="upgrade to the latest revision")
    down = db_sub.add_parser("downgrade", help="downgrade to a revision (e.g. base)")
    down.add_argument("revision")
    db_sub.add_parser("current", help="show the current revision")
    imp = sub.add_parser("import", help="import units, enterprises, needs, commissioners, applicants or "
                                         "agreements (CSV/XLSX)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--kind", choices=[k.value for k in Kind])
    inv = sub.add_parser("invite", help="print an invite deep link (last line)")
    inv.add_argument("kind", help="commissioner 科技特派员 | enterprise 企业 | unit 派出单位 | county 县区 | bureau 市科技局")
    inv.add_argument("code", help="commissioner/enterprise/unit code, county name, or bureau admin name")
    inv.add_argument("--name", help="the person's name, to greet them by (admins, contacts)")
    inv.add_argument("--days", type=_invite_days, help="days the invite stays valid, 1 to 90 (default: the policy's)")
    ass = sub.add_parser("assess", help="score a year and print the proposed grades")
    ass.add_argument("--year", type=int, required=True)
    ass.add_argument("--roster", type=Path, help="also write the roster as XLSX here")
    ass.add_argument("--county", help="only this county's commissioners in the roster")
    dos = sub.add_parser("dossier", help="write assessment dossiers (HTML and PDF)")
    dos.add_argument("--year", type=int, required=True)
    dos.add_argument("--commissioner", help="only this commissioner's code")
    dos.add_argument("--out", type=Path, default=Path("dossiers"))
    match = sub.add_parser("match", help="rank commissioners for a technical need (Chinese text)")
    match.add_argument("need", help="the need, e.g. 回转窑耐火材料剥落")
    match.add_argument("--county", help="the enterprise's county (a match there ranks higher)")
    match.add_argument("--limit", type=int, default=10)
    notice = sub.add_parser("notice", help="the public notice list (公示): pairings on notice or held")
    notice.add_argument("--xlsx", type=Path, help="also write it as XLSX here")
    dis = sub.add_parser("disqualify", help="disqualify a commissioner (取消资格) for one of the policy's reasons")
    dis.add_argument("code", help="the commissioner's code")
    dis.add_argument("--reason", required=True, help="one of the policy's disqualification reasons: its key or its Chinese words")
    dis.add_argument("--note", default="", help="what happened, for the record")
    web = sub.add_parser("web", help="serve the web console for the bureau and the county admins")
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--port", type=int, default=8080)
    link = sub.add_parser("web-link", help="print a one-time sign-in link to the web console (10 minutes)")
    link.add_argument("--county", help="a county admin's view of this county (default: the bureau's)")
    link.add_argument("--name", help="who signs in, for the audit log")
    back = sub.add_parser("backup", help="the SQLite database and the evidence folder into one .tar.gz")
    back.add_argument("file", type=Path)
    rest = sub.add_parser("restore", help="put a backup's database and evidence back into TEPAI_DATA_DIR")
    rest.add_argument("file", type=Path)
    rest.add_argument("--force", action="store_true", help="replace an existing database")
    demo = sub.add_parser("demo", help="build an offline demo database (no token needed)")
    demo.add_argument("--dir", type=Path, default=Path("tepai-demo"))
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tepai")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    """Run one command; a reader that stops early (`tepai … | head`) ends it quietly."""
    try:
        code = _main(argv)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:  # Ctrl+C while starting up: no traceback
        return 130
    except BrokenPipeError:
        # Python would report the pipe again while flushing at exit: point stdout at nothing.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def _main(argv: list[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:  # bare `tepai`: what it can do
        parser.print_help()
        return EXIT_OK
    from bot.settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        print(Translator("zh")("cli.bad_settings", error=f"TEPAI_{where.upper()}: {first['msg']}"),
              file=sys.stderr)
        return EXIT_USAGE
    t = Translator(settings.language)
    try:
        policy = load_policy(settings.policy)
    except PolicyError as exc:
        print(t("cli.bad_policy", error=exc), file=sys.stderr)
        return EXIT_USAGE

    from storage.db import DatabaseUnreachable

    try:
        return _dispatch(args, settings, policy, t)
    except DatabaseUnreachable as exc:
        print(t("cli.db_unreachable", url=exc.url, reason=exc.reason, setting=exc.setting), file=sys.stderr)
        return EXIT_NO_DATABASE


def _dispatch(args: argparse.Namespace, settings, policy, t: Translator) -> int:  # noqa: ANN001
    from bot import commands_cli, commands_records, commands_year

    if args.command == "run":
        return commands_cli.run(settings, policy, t)
    if args.command == "scheduler":
        return commands_cli.scheduler(settings, policy, t)
    if args.command == "webhook":
        return commands_cli.webhook(settings, policy, t, args.host, args.port, args.set_webhook)
    if args.command == "db":
        return asyncio.run(commands_cli.db(settings, t, args.db_command, getattr(args, "revision", None)))
    if args.command == "import":
        return asyncio.run(commands_records.import_(settings, policy, t, args.file, Kind(args.kind) if args.kind else None))
    if args.command == "invite":
        return asyncio.run(commands_records.invite(settings, policy, t, args.kind, args.code, args.name, args.days))
    if args.command == "assess":
        return asyncio.run(commands_year.assess(settings, policy, t, args.year, args.roster, args.county))
    if args.command == "dossier":
        return asyncio.run(commands_year.dossiers(settings, policy, t, args.year, args.commissioner, args.out))
    if args.command == "match":
        return asyncio.run(commands_year.match(settings, policy, t, args.need, args.county, args.limit))
    if args.command == "notice":
        return asyncio.run(commands_year.notice(settings, t, args.xlsx))
    if args.command == "disqualify":
        return asyncio.run(commands_records.disqualify(settings, policy, t, args.code, args.reason, args.note))
    if args.command == "web":
        return commands_cli.serve_web(settings, policy, t, args.host, args.port)
    if args.command == "web-link":
        return asyncio.run(commands_cli.web_link(settings, t, args.county, args.name))
    if args.command == "backup":
        return commands_cli.backup(settings, t, args.file)
    if args.command == "restore":
        return commands_cli.restore(settings, t, args.file, args.force)
    if args.command == "demo":
        return asyncio.run(commands_cli.demo(settings, policy, t, args.dir))
    return EXIT_USAGE  # pragma: no cover - argparse refuses unknown commands
