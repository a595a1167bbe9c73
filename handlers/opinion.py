"""/opinion: a county admin enters the county's opinion of a commissioner's year, or a host unit's
evaluation (taken from its paper form), for the dossier. The bureau may enter any county's."""
from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.commands import ADMINS
from bot.filters import HasRole
from domain.clock import Clock, local_today
from domain.roles import Role
from locales import Translator
from services import opinions
from storage.repositories import Repos

if TYPE_CHECKING:  # names for annotations only: handlers do not touch the tables
    from storage.models import RoleGrant, User

router = Router(name="opinion")
router.message.filter(HasRole(*ADMINS))


def parse(args: str, this_year: int) -> opinions.OpinionInput | None:
    """[YEAR] CODE county TEXT | [YEAR] CODE host ENTERPRISE TEXT; None if it is not that shape."""
    parts = args.split(maxsplit=1)
    year = this_year
    if parts and parts[0].isdigit() and len(parts[0]) == 4:
        year, args = int(parts[0]), parts[1] if len(parts) > 1 else ""
    parts = args.split(maxsplit=2)
    if len(parts) < 2 or parts[1] not in opinions.KINDS:
        return None
    code, kind, rest = parts[0], parts[1], parts[2] if len(parts) > 2 else ""
    if kind == "host":
        enterprise, _, text = rest.partition(" ")
        return opinions.OpinionInput(year, code, kind, text, enterprise or None)
    return opinions.OpinionInput(year, code, kind, rest)


@router.message(Command("opinion"))
async def opinion(message: Message, command: CommandObject, repos: Repos, user: User, grants: list[RoleGrant],
                  clock: Clock, zone: ZoneInfo, t: Translator) -> None:
    entry = parse(command.args or "", local_today(clock, zone).year)
    if entry is None:
        await message.answer(t("opinion.usage"))
        return
    counties = None if any(g.role == Role.BUREAU for g in grants) else \
        frozenset(g.county for g in grants if g.role == Role.COUNTY)
    try:
        await opinions.record(repos, clock, entry, actor=f"user:{user.id}", counties=counties)
    except opinions.OpinionError as exc:
        await message.answer(t(f"opinion.error_{exc.reason}", max=opinions.MAX_CHARS))
        return
    await message.answer(t(f"opinion.saved_{entry.kind}", code=entry.code, year=entry.year,
                           enterprise=entry.enterprise_code or ""))
