"""`tepai template KIND [--xlsx FILE]`: a blank import table with one example row, as CSV on
standard output or as a workbook (`all`: one sheet per kind)."""
from __future__ import annotations

import sys
from pathlib import Path

from bot.commands_cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from bot.settings import Settings
from domain.clock import SystemClock, local_today
from domain.policy import Policy
from domain.records import KIND_ORDER, Kind
from locales import LANGUAGES, Translator
from services.import_template import sheet_title, template_csv, template_workbook

ALL = "all"


def kinds_named(word: str) -> tuple[Kind, ...] | None:
    """The kinds a word names: `units`, `all`, or a kind's name in either language (派出单位)."""
    key = word.strip().lower()
    if key == ALL:
        return KIND_ORDER
    for kind in KIND_ORDER:
        names = {kind.value, *(Translator(lang)(f"template.sheet.{kind.value}").lower() for lang in LANGUAGES),
                 *(Translator(lang)(f"cli.kind.{kind.value}").lower() for lang in LANGUAGES)}
        if key in names:
            return (kind,)
    return None


def template(settings: Settings, policy: Policy, t: Translator, word: str, xlsx: Path | None) -> int:
    kinds = kinds_named(word)
    if kinds is None:
        valid = "、".join([*(f"{k.value}（{sheet_title(t, k)}）" for k in KIND_ORDER), ALL])
        print(t("template.unknown_kind", word=word, valid=valid), file=sys.stderr)
        return EXIT_USAGE
    year = local_today(SystemClock(), settings.zone).year
    if xlsx is None:
        if len(kinds) > 1:
            print(t("template.needs_xlsx"), file=sys.stderr)
            return EXIT_USAGE
        sys.stdout.write(template_csv(t, kinds[0], policy, year))
        return EXIT_OK
    try:
        xlsx.parent.mkdir(parents=True, exist_ok=True)
        xlsx.write_bytes(template_workbook(t, kinds, policy, year))
    except OSError as exc:
        print(t("template.not_written", path=xlsx, error=exc.strerror or exc), file=sys.stderr)
        return EXIT_FAILED
    print(t("template.written", path=xlsx, sheets="、".join(sheet_title(t, k) for k in kinds)))
    return EXIT_OK
