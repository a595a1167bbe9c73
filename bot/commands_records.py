"""`tepai import`, `tepai invite` and `tepai disqualify`: the programme's people and records."""
from __future__ import annotations

import sys
from pathlib import Path

from bot.commands_cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, database, valid_token
from bot.progress import ProgressReport
from bot.settings import Settings
from domain.cells import clean_code
from domain.clock import SystemClock
from domain.invites import deep_link
from domain.policy import Policy, is_known_county
from domain.records import Kind
from domain.roles import Role
from locales import Translator
from services import onboarding
from services.import_template import header
from services.importer import ImportFileError, ImportReport, import_file
from storage.db import create_sessionmaker
from storage.repositories import Repos


async def import_(settings: Settings, policy: Policy, t: Translator, path: Path, kind: Kind | None) -> int:
    async with database(settings.db_url) as engine:
        async with create_sessionmaker(engine)() as session:
            repos = Repos(session)
            try:
                with ProgressReport(t("cli.import_progress")) as progress:
                    report = await import_file(repos, SystemClock(), path, kind, actor="cli", zone=settings.zone,
                                               counties=policy.counties, progress=progress)
            except ImportFileError as exc:
                print(import_file_error(t, exc), file=sys.stderr)
                return EXIT_FAILED
            if not report.ok:
                await repos.rollback()
                print_import_report(t, path, report, sys.stderr)
                return EXIT_FAILED
            await repos.commit()
    print_import_report(t, path, report, sys.stdout)
    return EXIT_OK


def import_file_error(t: Translator, exc: ImportFileError) -> str:
    values = dict(exc.values)
    if "kinds" in values:  # the kinds a table's headers fit equally: --kind takes their English names
        values["kinds"] = "、".join(f"{k}（{t(f'cli.kind.{k}')}）" for k in values["kinds"])
        values["first"] = exc.values["kinds"][0]
    return t(f"importer.{exc.key}", **values)


def print_import_report(t: Translator, path: Path, report: ImportReport, out) -> None:  # noqa: ANN001
    if report.ok:
        print(t("cli.import_ok", path=path), file=out)
        for sheet in report.sheets:
            kind = sheet.kind.value
            print(t("cli.import_counts", kind=t(f"cli.kind.{kind}"), created=report.created[kind],
                    updated=report.updated[kind], unchanged=report.unchanged[kind]), file=out)
    else:
        print(t("cli.import_failed", path=path), file=out)
        kinds = {sheet.label: sheet.kind for sheet in report.sheets}
        for label, problem in report.problems:
            where = t("importer.row", row=problem.row) if problem.row else t("importer.sheet")
            # The column as the template heads it (a person's 姓名, a unit's 名称).
            column = header(t, kinds[label], problem.column) if problem.column else ""
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
    token = valid_token(settings)
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

    role = role_of(clean_code(kind))
    code = clean_code(code)  # as the import and the chat's /invite clean it: "Ｃ００１" is C001
    if role is None:
        valid = "、".join(f"{k}（{t(f'roles.{k}')}）" for k in INVITE_KINDS)
        print(t("cli.invite_unknown_kind", word=kind, valid=valid), file=sys.stderr)
        return EXIT_USAGE
    kind = role.value
    if role == Role.COUNTY and not is_known_county(policy.counties, code):
        print(t("cli.invite_unknown_county", county=code, valid="、".join(policy.counties)), file=sys.stderr)
        return EXIT_FAILED
    async with database(settings.db_url) as engine:
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
    expires = new.invite.expires_at.astimezone(settings.zone)  # the Translator writes it as people read dates
    print(t("cli.invite_made", role=t(f"roles.{kind}"), name=target.display_name,
            subject=target.subject_name or "—", days=days, expires=expires))
    print(deep_link(username, new.token))
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
    async with database(settings.db_url) as engine:
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
            until=row.barred_until, recover=t("disqualify.cli_yes" if row.recover_subsidies
                                                           else "disqualify.cli_no")))
    return EXIT_OK
