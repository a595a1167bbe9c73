"""The `tepai` command line (also `python -m bot`)."""
from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from pydantic import ValidationError

from bot.cli_argparse import speaking
from bot.cli_parser import build_parser
from domain.policy import PolicyError, load_policy
from domain.records import Kind
from locales import Translator

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_NO_DATABASE = 69  # sysexits.h EX_UNAVAILABLE: a supervisor may retry later, an operator must look


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
    from bot.settings import cli_language

    help_t = Translator(cli_language())
    with speaking(help_t):  # argparse's own texts too ("用法：", "缺少必需的参数") while it parses
        parser = build_parser(help_t)
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
        print(help_t("cli.bad_settings", error=f"TEPAI_{where.upper()}: {first['msg']}"),
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
    if args.command == "evidence":  # before the others' imports: no aiogram needed to copy files
        from bot import commands_evidence

        return commands_evidence.migrate(settings, t, args.to, args.source)
    from bot import commands_cli, commands_records, commands_year

    if args.command in ("run", "scheduler"):
        chosen = {key: value for key, value in (("metrics_port", args.metrics_port), ("metrics_host", args.metrics_host))
                  if value is not None}
        settings = settings.model_copy(update=chosen)
        return (commands_cli.run if args.command == "run" else commands_cli.scheduler)(settings, policy, t)
    if args.command == "webhook":
        return commands_cli.webhook(settings, policy, t, args.host, args.port, args.set_webhook)
    if args.command == "db":
        return asyncio.run(commands_cli.db(settings, t, args.db_command, getattr(args, "revision", None)))
    if args.command == "import":
        return asyncio.run(commands_records.import_(settings, policy, t, args.file, Kind(args.kind) if args.kind else None))
    if args.command == "template":
        from bot.commands_template import template

        return template(settings, policy, t, args.kind, args.xlsx)
    if args.command == "invite":
        return asyncio.run(commands_records.invite(settings, policy, t, args.kind, args.code, args.name, args.days))
    if args.command == "assess":
        return asyncio.run(commands_year.assess(settings, policy, t, args.year, args.roster, args.county))
    if args.command == "dossier":
        return asyncio.run(commands_year.dossiers(settings, policy, t, args.year, args.commissioner, args.out,
                                                  args.jobs))
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
