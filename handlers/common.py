"""/help, /me and /cancel: available to everyone, shaped by their roles."""
from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.commands import visible_commands
from domain.clock import Clock, local_today
from domain.policy import Policy
from domain.roles import Role
from handlers.texts import role_summary
from locales import Translator
from services.profile import RoleView, profile
from storage.repositories import Repos

if TYPE_CHECKING:  # names for annotations only: handlers do not touch the tables
    from storage.models import RoleGrant

router = Router(name="common")


@router.message(Command("help"))
async def help_(message: Message, roles: frozenset[Role], t: Translator) -> None:
    lines = [t("help.title")]
    lines += [f"/{c.name} — {t(f'commands.{c.name}')}" for c in visible_commands(roles)]
    if not roles:
        lines += ["", t("help.no_role")]
    await message.answer("\n".join(lines))


@router.message(Command("me"))
async def me(message: Message, repos: Repos, grants: list[RoleGrant], policy: Policy, clock: Clock,
             t: Translator, zone) -> None:  # noqa: ANN001 - ZoneInfo
    if not grants:
        await message.answer(t("me.no_role"))
        return
    today = local_today(clock, zone)
    views = await profile(repos, policy, grants, today)
    await message.answer("\n\n".join(_role_block(t, policy, view) for view in views))


def _role_block(t: Translator, policy: Policy, view: RoleView) -> str:
    grant = view.grant
    lines = [t("me.role", role=role_summary(t, grant), name=grant.display_name)]
    if view.commissioner is not None:
        c = view.commissioner
        lines.append(t("me.commissioner", code=c.code, unit=c.unit.name if c.unit else "—",
                       title=c.title or "—"))
    if view.enterprise is not None:
        lines.append(t("me.enterprise", code=view.enterprise.code, county=view.enterprise.county or "—"))
    if view.unit is not None:
        lines.append(t("me.unit", code=view.unit.code))
    if view.commissioner is not None or view.enterprise is not None:
        lines.append(t("me.agreements_title"))
        if not view.agreements:
            lines.append(t("me.no_agreements"))
        for a in view.agreements:
            other = a.enterprise.name if view.commissioner is not None else a.commissioner.name
            lines.append(t("me.agreement", other=other, start=a.start_date,
                           end=a.end_date, status=t(f"agreement.status.{a.status}")))
    if view.progress is not None:
        p = view.progress
        if p.services_target is not None:
            lines.append(t("me.progress_target", year=p.year, done=p.services, target=p.services_target,
                           expected=p.expected_by_today))
        else:
            lines.append(t("me.progress", year=p.year, done=p.services))
        lines.append(t("me.enterprises_progress", served=p.enterprises_served, target=p.enterprises_target))
    if view.feedback is not None:
        lines += _feedback_lines(t, policy, view)
    return "\n".join(lines)


def _feedback_lines(t: Translator, policy: Policy, view: RoleView) -> list[str]:
    f = view.feedback
    lines = [t("me.feedback", confirmed=f.confirmed, disputed=f.disputed, unanswered=f.unanswered,
               pending=f.pending)]
    lines.append(t("me.rating", mean=f.mean_rating, count=len(f.ratings)) if f.ratings else t("me.no_rating"))
    if view.comments:
        lines.append(t("me.comments_title"))
        # Anonymous by policy: the comment, never the enterprise that wrote it.
        lines += [t("me.comment", text=text) if policy.feedback.anonymous_comments
                  else t("me.comment_from", enterprise=name, text=text) for name, text in view.comments]
    return lines


@router.message(Command("cancel"))
async def cancel(message: Message, state: FSMContext, t: Translator) -> None:
    if await state.get_state() is None:
        await message.answer(t("cancel.nothing"))
        return
    await state.clear()
    await message.answer(t("cancel.done"))
