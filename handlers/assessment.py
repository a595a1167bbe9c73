"""Admins: /assessment YEAR (roster and summary), /dossier CODE [YEAR] (the PDF), /grade (the
bureau overrides or finalises a grade). Long work shows progress by editing one message."""
from __future__ import annotations

import asyncio
import tempfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, FSInputFile, Message

from bot.commands import ADMINS
from bot.filters import HasRole, admin_covers
from bot.replies import now
from domain.clock import Clock, local_today
from domain.policy import Policy
from domain.roles import Role
from domain.words import label_key
from locales import Translator
from services import assessment as assessing
from services.dossier import build, to_pdf
from services.roster import write_roster
from storage.evidence_store import EvidenceStore
from storage.repositories import Repos

if TYPE_CHECKING:  # names for annotations only: handlers do not touch the tables
    from storage.models import RoleGrant, User

router = Router(name="assessment")
router.message.filter(HasRole(*ADMINS))


def _year(text: str | None, clock: Clock, zone: ZoneInfo) -> int | None:
    if not text:
        return clock.now().astimezone(zone).year
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else None


def _my_county(grants: list[RoleGrant]) -> str | None:
    """None for the bureau (everyone); a county admin's county otherwise."""
    if any(g.role == Role.BUREAU for g in grants):
        return None
    return next((g.county for g in grants if g.role == Role.COUNTY), None)


@router.message(Command("assessment"))
async def assessment(message: Message, command: CommandObject, repos: Repos, grants: list[RoleGrant],
                     policy: Policy, clock: Clock, zone: ZoneInfo, t: Translator) -> None:
    year = _year((command.args or "").strip(), clock, zone)
    if year is None:
        await message.answer(t("assess.usage"))
        return
    progress = await now(message.answer(t("assess.working")))  # shown while the work runs
    result = await assessing.assess(repos, policy, year, local_today(clock, zone))
    county = _my_county(grants)
    counts = Counter(g.grade for g in result.graded
                     if county is None or result.commissioners[g.scored.inputs.code].county == county)
    labels = {g.key: g.text(t.lang) for g in policy.grades}
    summary = t("assess.summary", year=year, count=sum(counts.values()),
                grades="，".join(f"{labels[k]} {counts.get(k, 0)}" for k in labels) if t.lang == "zh"
                else ", ".join(f"{labels[k]} {counts.get(k, 0)}" for k in labels))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"roster-{year}.xlsx"
        await asyncio.to_thread(write_roster, path, policy, t, result, county)
        await message.answer_document(FSInputFile(path, filename=path.name), caption=summary[:1000])
    await progress.edit_text(t("assess.done"))


@router.message(Command("dossier"))
async def dossier(message: Message, command: CommandObject, repos: Repos, grants: list[RoleGrant],
                  policy: Policy, clock: Clock, zone: ZoneInfo, evidence_store: EvidenceStore,
                  t: Translator, map_tiles: str | None = None) -> None:
    parts = (command.args or "").split()
    year = _year(parts[1] if len(parts) > 1 else None, clock, zone)
    if not parts or year is None:
        await message.answer(t("assess.dossier_usage"))
        return
    code = parts[0]
    progress = await now(message.answer(t("assess.working")))  # shown while the work runs
    result = await assessing.assess(repos, policy, year, local_today(clock, zone))
    commissioner = result.commissioners.get(code)
    if commissioner is None:
        await progress.edit_text(t("invite.unknown", kind=t("roles.commissioner"), code=code))
        return
    if not admin_covers(grants, commissioner.county):
        await progress.edit_text(t("visits.not_your_county"))
        return
    await now(progress.edit_text(t("assess.rendering", name=commissioner.name)))  # before the long part
    built = await build(repos, policy, evidence_store, t, result, code, clock.now(), map_tiles=map_tiles)
    pdf = await asyncio.to_thread(to_pdf, built.html)
    await message.answer_document(BufferedInputFile(pdf, filename=f"{code}-{commissioner.name}-{year}.pdf"))
    await progress.edit_text(t("assess.done"))


@router.message(Command("grade"), HasRole(Role.BUREAU))
async def grade(message: Message, command: CommandObject, repos: Repos, user: User, policy: Policy, clock: Clock,
                t: Translator) -> None:
    """/grade YEAR CODE GRADE REASON, or /grade YEAR CODE GRADE final REASON."""
    parts = (command.args or "").split(maxsplit=3)
    if len(parts) < 4 or not parts[0].isdigit():
        await message.answer(t("assess.grade_usage", grades=" | ".join(g.text(t.lang) for g in policy.grades),
                                     example=policy.grades[1].text(t.lang)))
        return
    year, code, word, rest = int(parts[0]), parts[1], parts[2], parts[3]
    key = label_key(policy.grades, word)
    if key is None:  # 合格 or pass: the policy's words in either language
        await message.answer(t("assess.unknown_grade_listed", word=word,
                               grades="、".join(g.text(t.lang) for g in policy.grades)))
        return
    final = rest == "final" or rest.startswith("final ")
    reason = rest[len("final"):].strip() if final else rest
    try:
        await assessing.decide(repos, clock, policy, year=year, code=code, grade=key, reason=reason,
                               actor=f"user:{user.id}", final=final)
    except assessing.AssessmentError as exc:
        await message.answer(t(f"assess.error_{exc.reason}"))
        return
    label = next(g.text(t.lang) for g in policy.grades if g.key == key)
    await message.answer(t("assess.graded_final" if final else "assess.graded", code=code, year=year, grade=label))
