"""Admin commands in the chat (county and bureau admins). Others are refused by the fallback."""
from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import LinkPreviewOptions, Message

from bot.commands import ADMINS
from bot.filters import HasRole, admin_covers
from domain.cells import clean_code, visible_text
from domain.clock import Clock
from domain.invites import deep_link
from domain.policy import Policy, is_known_county
from domain.roles import INVITE_KINDS, Role
from domain.web_access import scope_of
from domain.words import answer_of, role_of
from locales import Translator
from services import feedback, onboarding, web_access
from services.feedback import FeedbackError, Responder
from storage.repositories import Repos

if TYPE_CHECKING:  # names for annotations only: handlers do not touch the tables
    from storage.models import RoleGrant, User

router = Router(name="admin")
router.message.filter(HasRole(*ADMINS))

# County admins invite the people of their own county; the bureau invites anyone.
COUNTY_MAY_INVITE = frozenset({Role.COMMISSIONER, Role.ENTERPRISE})


@router.message(Command("invite"))
async def invite(message: Message, command: CommandObject, bot: Bot, repos: Repos, user: User,
                 grants: list[RoleGrant], clock: Clock, policy: Policy, t: Translator) -> None:
    # Typed or pasted as the import's cells are: the same cleaning, so "Ｃ００１" is C001.
    parts = visible_text(command.args or "").split(maxsplit=2)
    role = role_of(clean_code(parts[0])) if len(parts) >= 2 else None
    if role is None:
        await message.answer(t("invite.usage", kinds=" | ".join(f"{k}（{t(f'roles.{k}')}）" for k in INVITE_KINDS)))
        return
    code = clean_code(parts[1])
    person_name = parts[2] if len(parts) > 2 else None
    if role is Role.COUNTY and not is_known_county(policy.counties, code):
        await message.answer(t("cli.invite_unknown_county", county=code, valid="、".join(policy.counties)))
        return
    try:
        target = await onboarding.resolve_target(repos, role, code, person_name)
    except onboarding.UnknownTarget:
        await message.answer(t("invite.unknown", kind=t(f"roles.{role.value}"), code=code))
        return
    if not _may_invite(grants, target):
        await message.answer(t("invite.not_yours"))
        return
    new = await onboarding.create_invite(repos, clock, target, f"user:{user.id}", policy.invite_days)
    me = await bot.me()
    await message.answer(t("invite.made", role=t(f"roles.{role.value}"), name=target.display_name,
                           days=policy.invite_days, link=deep_link(me.username or "", new.token)))


def _may_invite(grants: list[RoleGrant], target: onboarding.Target) -> bool:
    if any(g.role == Role.BUREAU for g in grants):
        return True
    my_counties = {g.county for g in grants if g.role == Role.COUNTY}
    return target.role in COUNTY_MAY_INVITE and target.county in my_counties


@router.message(Command("record"))
async def record_on_behalf(message: Message, command: CommandObject, repos: Repos, user: User,
                           grants: list[RoleGrant], clock: Clock, policy: Policy, zone: ZoneInfo,
                           t: Translator) -> None:
    """/record VISIT confirm [1-5] [comment] | /record VISIT dispute REASON — for an enterprise
    without Telegram; marked as recorded by this admin, and audited."""
    parts = (command.args or "").split(maxsplit=2)
    answer = answer_of(parts[1]) if len(parts) >= 2 else None
    if answer is None or not parts[0].lstrip("#").isdigit():
        await message.answer(t("feedback.record_usage"))
        return
    visit = await repos.visits.get(int(parts[0].lstrip("#")))
    if visit is None or not admin_covers(grants, visit.enterprise.county):
        await message.answer(t("feedback.record_not_yours"))
        return
    responder = Responder(user.id, frozenset({visit.enterprise_id}), proxy=True)
    rest = parts[2] if len(parts) > 2 else ""
    try:
        if answer == "dispute":
            row = await feedback.dispute(repos, clock, policy, zone, visit_id=visit.id, responder=responder,
                                         reason=rest)
        else:
            row = await feedback.confirm(repos, clock, visit_id=visit.id, responder=responder)
            score, _, text = rest.partition(" ")
            if score.isdigit():
                await feedback.rate(repos, clock, policy, visit_id=visit.id, responder=responder, score=int(score))
            if text.strip():
                await feedback.comment(repos, clock, visit_id=visit.id, responder=responder, text=text)
    except FeedbackError as exc:
        await message.answer(t(f"feedback.error_{exc.reason}"))
        return
    await message.answer(t("feedback.recorded", id=visit.id, answer=t(f"feedback.answer_{row.status}")))


@router.message(Command("web"))
async def web_link(message: Message, repos: Repos, user: User, grants: list[RoleGrant], clock: Clock,
                   web_url: str, t: Translator) -> None:
    """A one-time link into the web console, scoped like this admin's grants."""
    scope = scope_of(grants)
    if scope is None:  # pragma: no cover - the router lets only admins in
        await message.answer(t("web.chat_no_access"))
        return
    name = next((g.display_name for g in grants if g.role in (Role.BUREAU, Role.COUNTY)), user.full_name)
    token = await web_access.create_link(repos, clock, scope, name, f"user:{user.id}", user_id=user.id)
    # No preview: the link is a secret, and nothing but the admin's own browser should fetch it.
    await message.answer(t("web.chat_link", link=web_access.link_url(web_url, token)),
                         link_preview_options=LinkPreviewOptions(is_disabled=True))
