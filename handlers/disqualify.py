"""/disqualify CODE (the bureau): the commissioner and the policy's reasons as buttons, then the
effects spelled out with a Confirm button, then it is done."""
from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.filters import HasRole
from domain.clock import Clock
from domain.policy import Policy
from domain.roles import Role
from keyboards import changes as kb
from keyboards.layout import column
from locales import Translator
from messages.changes import reason_text
from services import disqualification as service
from storage.repositories import Repos

if TYPE_CHECKING:  # names for annotations only: handlers do not touch the tables
    from storage.models import User

router = Router(name="disqualify")
router.message.filter(HasRole(Role.BUREAU))
router.callback_query.filter(HasRole(Role.BUREAU))


def _reasons(t: Translator, policy: Policy, commissioner_id: int) -> list[tuple[str, kb.DisqualifyStep]]:
    return [(reason_text(t, policy, r.key), kb.DisqualifyStep(c=commissioner_id, a="why", v=r.key))
            for r in policy.disqualification.reasons] + [
        (t("disqualify.button_stop"), kb.DisqualifyStep(c=commissioner_id, a="stop"))]


@router.message(Command("disqualify"))
async def start(message: Message, command: CommandObject, repos: Repos, clock: Clock, policy: Policy,
                zone: ZoneInfo, t: Translator) -> None:
    code = (command.args or "").strip()
    if not code or " " in code:
        await message.answer(t("disqualify.usage"))
        return
    try:
        plan = await service.preview(repos, clock, policy, zone, code=code)
    except service.DisqualifyError as exc:
        await message.answer(t(f"disqualify.error_{exc.reason}"))
        return
    c = plan.commissioner
    await message.answer(t("disqualify.ask_reason", name=c.name, code=c.code, status=t(f"disqualify.status.{c.status}")),
                         reply_markup=column(_reasons(t, policy, c.id)))


@router.callback_query(kb.DisqualifyStep.filter(F.a == "why"))
async def chose_reason(query: CallbackQuery, callback_data: kb.DisqualifyStep, repos: Repos, clock: Clock,
                       policy: Policy, zone: ZoneInfo, t: Translator) -> None:
    try:
        plan = await service.preview_of(repos, clock, policy, zone, commissioner_id=callback_data.c)
    except service.DisqualifyError as exc:
        await query.answer(t(f"disqualify.error_{exc.reason}"), show_alert=True)
        return
    c = plan.commissioner
    agreements = t("report.list_join").join(a.enterprise.name for a in plan.agreements) or t("disqualify.no_agreements")
    await query.answer()
    await query.message.answer(
        t("disqualify.confirm", name=c.name, code=c.code, reason=reason_text(t, policy, callback_data.v),
          count=len(plan.agreements), agreements=agreements, until=plan.barred_until,
          recover=t("disqualify.recover_yes" if plan.recover_subsidies else "disqualify.recover_no")),
        reply_markup=kb.confirm_disqualify(t, c.id, callback_data.v))


@router.callback_query(kb.DisqualifyStep.filter(F.a == "go"))
async def confirmed(query: CallbackQuery, callback_data: kb.DisqualifyStep, repos: Repos, clock: Clock,
                    policy: Policy, zone: ZoneInfo, user: User, t: Translator) -> None:
    try:
        plan = await service.preview_of(repos, clock, policy, zone, commissioner_id=callback_data.c)
        row = await service.disqualify(repos, clock, policy, zone, code=plan.commissioner.code,
                                       reason_key=callback_data.v, actor=f"user:{user.id}")
    except service.DisqualifyError as exc:
        await query.answer(t(f"disqualify.error_{exc.reason}"), show_alert=True)
        return
    c = plan.commissioner
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(t("disqualify.done", name=c.name, code=c.code, count=len(row.agreements_ended),
                                 until=row.barred_until))


@router.callback_query(kb.DisqualifyStep.filter(F.a == "stop"))
async def stopped(query: CallbackQuery, t: Translator) -> None:
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(t("disqualify.stopped"))
