"""/review (the bureau): one expert's sheet for a commissioner, where the policy has an expert review
(Jincheng 第二十条): /review [YEAR] CODE REVIEWER POINTS… CONCLUSION, points in the criteria's order."""
from __future__ import annotations

from typing import TYPE_CHECKING

from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.filters import HasRole
from domain.clock import Clock, local_today
from domain.policy import Policy
from domain.roles import Role
from locales import Translator
from services import reviews
from storage.repositories import Repos

if TYPE_CHECKING:  # names for annotations only: handlers do not touch the tables
    from storage.models import User

router = Router(name="review")
router.message.filter(HasRole(Role.BUREAU))


def parse(args: str, this_year: int) -> reviews.ReviewInput | None:
    parts = args.split()
    year = this_year
    if parts and parts[0].isdigit() and len(parts[0]) == 4:
        year, parts = int(parts[0]), parts[1:]
    if len(parts) < 4:
        return None
    try:
        scores = tuple(float(p) for p in parts[2:-1])
    except ValueError:
        return None
    return reviews.ReviewInput(year, parts[0], parts[1], scores, parts[-1])


def _usage(t: Translator, policy: Policy) -> str:
    if policy.review is None:
        return t("review.error_no_review")
    return t("review.usage", criteria="、".join(f"{c.text(t.lang)}（{c.points}）" for c in policy.review.criteria),
             grades=" | ".join(g.text(t.lang) for g in policy.grades), example=policy.grades[1].text(t.lang),
             points=" ".join(str(round(c.points * 0.8)) for c in policy.review.criteria))


@router.message(Command("review"))
async def review(message: Message, command: CommandObject, repos: Repos, user: User, policy: Policy,
                 clock: Clock, zone: ZoneInfo, t: Translator) -> None:
    entry = parse(command.args or "", local_today(clock, zone).year)
    if entry is None:
        await message.answer(_usage(t, policy))
        return
    try:
        row = await reviews.record(repos, clock, policy, entry, actor=f"user:{user.id}")
    except reviews.ReviewError as exc:
        await message.answer(_usage(t, policy) if exc.reason == "score_count" else t(f"review.error_{exc.reason}"))
        return
    grade = next(g.text(t.lang) for g in policy.grades if g.key == row.conclusion)
    await message.answer(t("review.saved", reviewer=row.reviewer, code=entry.code, year=entry.year,
                           total=f"{reviews.total(row):g}", grade=grade))
