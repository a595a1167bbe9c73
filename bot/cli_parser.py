"""The `tepai` command line's arguments, with every help text from the catalogues (`cli.help.*`)
in the user's language; `bot.cli` runs what they ask for."""
from __future__ import annotations

import argparse
import os
from functools import partial
from pathlib import Path

from bot.cli_argparse import formatter
from domain.records import Kind
from locales import Translator


def _invite_days(t: Translator, text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(t("cli.help.days_not_number", value=text)) from None
    if not 1 <= days <= 90:
        raise argparse.ArgumentTypeError(t("cli.help.days_range"))
    return days


def _jobs(t: Translator, text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(t("cli.help.days_not_number", value=text)) from None
    if jobs < 1:
        raise argparse.ArgumentTypeError(t("cli.help.jobs_range"))
    return jobs


def _port(t: Translator, text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(t("cli.help.port_range", value=text))
    return int(text)


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("tepai")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def build_parser(t: Translator) -> argparse.ArgumentParser:
    """Build inside `bot.cli_argparse.speaking(t)`: argparse's own texts are read while building."""
    h = partial(_help, t)
    fmt = formatter(t)
    parser = argparse.ArgumentParser(prog="tepai", description=h("description"), formatter_class=fmt)
    parser.add_argument("--version", action="version", version=f"tepai {version()}", help=h("version"))
    sub = parser.add_subparsers(dest="command", title=h("commands"), metavar=h("command_metavar"))

    def command(name: str, **kwargs) -> argparse.ArgumentParser:  # noqa: ANN003
        text = h(name.replace("-", "_"))
        return sub.add_parser(name, help=text, description=text, formatter_class=fmt, **kwargs)

    run = command("run")
    hook = command("webhook")
    hook.add_argument("--host", default="0.0.0.0", help=h("host"))  # noqa: S104 - a worker behind a proxy
    hook.add_argument("--port", type=int, default=8081, help=h("port"))
    hook.add_argument("--no-set-webhook", dest="set_webhook", action="store_false", help=h("no_set_webhook"))
    scheduler = command("scheduler")
    for serving in (run, scheduler):
        serving.add_argument("--metrics-port", type=partial(_port, t), metavar="PORT", help=h("metrics_port"))
        serving.add_argument("--metrics-host", metavar="HOST", help=h("metrics_host"))
    db = command("db")
    db_sub = db.add_subparsers(dest="db_command", required=True, title=h("commands"), metavar=h("command_metavar"))
    for action in ("upgrade", "downgrade", "current", "counts", "recount"):
        made = db_sub.add_parser(action, help=h(f"db_{action}"), description=h(f"db_{action}"), formatter_class=fmt)
        if action == "downgrade":
            made.add_argument("revision", metavar="REVISION", help=h("db_revision"))
    imp = command("import")
    imp.add_argument("file", type=Path, metavar="FILE", help=h("import_file"))
    imp.add_argument("--kind", choices=[k.value for k in Kind], help=h("import_kind"))
    tpl = command("template")
    tpl.add_argument("kind", metavar="KIND", help=h("template_kind"))
    tpl.add_argument("--xlsx", type=Path, metavar="FILE.xlsx", help=h("template_xlsx"))
    inv = command("invite")
    inv.add_argument("kind", metavar="KIND", help=h("invite_kind"))
    inv.add_argument("code", metavar="CODE", help=h("invite_code"))
    inv.add_argument("--name", help=h("invite_name"))
    inv.add_argument("--days", type=partial(_invite_days, t), help=h("invite_days"))
    ass = command("assess")
    ass.add_argument("--year", type=int, required=True, help=h("year"))
    ass.add_argument("--roster", type=Path, metavar="FILE.xlsx", help=h("assess_roster"))
    ass.add_argument("--county", help=h("assess_county"))
    dos = command("dossier")
    dos.add_argument("--year", type=int, required=True, help=h("year"))
    dos.add_argument("--commissioner", metavar="CODE", help=h("dossier_commissioner"))
    dos.add_argument("--out", type=Path, default=Path("dossiers"), metavar="DIR", help=h("dossier_out"))
    dos.add_argument("--jobs", type=partial(_jobs, t), default=os.cpu_count() or 1, metavar="N", help=h("dossier_jobs"))
    match = command("match")
    match.add_argument("need", metavar="NEED", help=h("match_need"))
    match.add_argument("--county", help=h("match_county"))
    match.add_argument("--limit", type=int, default=10, help=h("match_limit"))
    notice = command("notice")
    notice.add_argument("--xlsx", type=Path, metavar="FILE.xlsx", help=h("notice_xlsx"))
    dis = command("disqualify")
    dis.add_argument("code", metavar="CODE", help=h("disqualify_code"))
    dis.add_argument("--reason", required=True, help=h("disqualify_reason"))
    dis.add_argument("--note", default="", help=h("disqualify_note"))
    web = command("web")
    web.add_argument("--host", default="127.0.0.1", help=h("host"))
    web.add_argument("--port", type=int, default=8080, help=h("port"))
    link = command("web-link")
    link.add_argument("--county", help=h("web_link_county"))
    link.add_argument("--name", help=h("web_link_name"))
    back = command("backup")
    back.add_argument("file", type=Path, metavar="FILE.tar.gz", help=h("backup_file"))
    rest = command("restore")
    rest.add_argument("file", type=Path, metavar="FILE.tar.gz", help=h("restore_file"))
    rest.add_argument("--force", action="store_true", help=h("restore_force"))
    evidence = command("evidence")
    evidence_sub = evidence.add_subparsers(dest="evidence_command", required=True, title=h("commands"),
                                           metavar=h("command_metavar"))
    move = evidence_sub.add_parser("migrate", help=h("evidence_migrate"), description=h("evidence_migrate"),
                                   formatter_class=fmt)
    move.add_argument("--to", required=True, metavar="s3://BUCKET/PREFIX", help=h("evidence_to"))
    move.add_argument("--from", dest="source", metavar="DIR", help=h("evidence_from"))
    demo = command("demo")
    demo.add_argument("--dir", type=Path, default=Path("tepai-demo"), help=h("demo_dir"))
    return parser


def _help(t: Translator, key: str) -> str:
    # argparse %-formats help texts: a literal % in a catalogue text must be written %%.
    return t(f"cli.help.{key}")
