"""/change: a commissioner or an enterprise contact asks to change an agreement (agreement → kind →
reason → new targets → summary → submit). /changes and the buttons in the queued notice: the bureau
approves or rejects."""
from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.filters import TYPED, HasRole
from domain import changes as rules
from domain.clock import Clock
from domain.policy import Policy
from domain.roles import Role
from keyboards import changes as kb
from keyboards.layout import column
from locales import Translator
from messages.changes import agreement_line, request_card
from services import changes as service
from storage.repositories import Repos

if TYPE_CHECKING:  # names for annotations only: handlers do not touch the tables
    from storage.models import Agreement, RoleGrant, User

router = Router(name="change")
router.message.filter(HasRole(Role.COMMISSIONER, Role.ENTERPRISE, Role.BUREAU))
router.callback_query.filter(HasRole(Role.COMMISSIONER, Role.ENTERPRISE, Role.BUREAU))

PARTIES = (Role.COMMISSIONER, Role.ENTERPRISE)


class ChangeForm(StatesGroup):
    agreement = State()
    kind = State()
    reason = State()
    targets = State()
    confirm = State()


async def _draft(state: FSMContext) -> dict:
    return dict((await state.get_data()).get("change", {}))


async def _keep(state: FSMContext, step: State, draft: dict) -> None:
    await state.set_state(step)
    await state.set_data({"change": draft})


async def _ask_kind(message: Message, state: FSMContext, t: Translator, agreement: Agreement) -> None:
    await _keep(state, ChangeForm.kind, {"agreement": agreement.id, "line": agreement_line(t, agreement)})
    await message.answer(t("change.ask_kind", agreement=agreement_line(t, agreement)), reply_markup=column(
        [(t(f"change.kind.{k}"), kb.ChangeStep(a="kind", v=k)) for k in rules.CHANGE_KINDS]))


@router.message(Command("change"), HasRole(*PARTIES))
async def start(message: Message, state: FSMContext, repos: Repos, grants: list[RoleGrant], t: Translator) -> None:
    agreements = await service.agreements_open_to_change(repos, grants)
    if not agreements:
        await state.clear()
        await message.answer(t("change.none_active"))
        return
    if len(agreements) == 1:
        await _ask_kind(message, state, t, agreements[0])
        return
    await _keep(state, ChangeForm.agreement, {})
    await message.answer(t("change.ask_agreement"), reply_markup=column(
        [(agreement_line(t, a), kb.ChangeStep(a="agr", v=str(a.id))) for a in agreements]))


@router.callback_query(StateFilter(ChangeForm.agreement), kb.ChangeStep.filter(F.a == "agr"))
async def chose_agreement(query: CallbackQuery, callback_data: kb.ChangeStep, state: FSMContext, repos: Repos,
                          grants: list[RoleGrant], t: Translator) -> None:
    agreement = next((a for a in await service.agreements_open_to_change(repos, grants)
                      if str(a.id) == callback_data.v), None)
    if agreement is None:
        await query.answer(t("change.error_not_active"), show_alert=True)
        return
    await query.answer()
    await _ask_kind(query.message, state, t, agreement)


@router.callback_query(StateFilter(ChangeForm.kind), kb.ChangeStep.filter(F.a == "kind"))
async def chose_kind(query: CallbackQuery, callback_data: kb.ChangeStep, state: FSMContext, t: Translator) -> None:
    if callback_data.v not in rules.CHANGE_KINDS:  # a forged or outdated button: nothing changes
        await query.answer(t("change.error_kind"), show_alert=True)
        return
    draft = await _draft(state)
    draft["kind"] = callback_data.v
    await _keep(state, ChangeForm.reason, draft)
    await query.answer()
    await query.message.answer(t(f"change.ask_reason_{callback_data.v}"))


@router.message(StateFilter(ChangeForm.reason), TYPED)
async def reasoned(message: Message, state: FSMContext, t: Translator) -> None:
    draft = await _draft(state)
    if rules.request_problem(draft["kind"], message.text) == "reason_short":
        await message.answer(t("change.error_reason_short"))
        return
    draft["reason"] = rules.clean(message.text)
    if draft["kind"] == rules.ChangeKind.CHANGE_TARGETS:
        await _keep(state, ChangeForm.targets, draft)
        await message.answer(t("change.ask_targets"))
        return
    await _summary(message, state, t, draft)


@router.message(StateFilter(ChangeForm.targets), TYPED)
async def targeted(message: Message, state: FSMContext, t: Translator) -> None:
    draft = await _draft(state)
    draft["detail"] = rules.clean(message.text)
    await _summary(message, state, t, draft)


async def _summary(message: Message, state: FSMContext, t: Translator, draft: dict) -> None:
    await _keep(state, ChangeForm.confirm, draft)
    text = t("change.summary", kind=t(f"change.kind.{draft['kind']}"), agreement=draft["line"], reason=draft["reason"])
    if draft.get("detail"):
        text += "\n" + t("change.summary_targets", detail=draft["detail"])
    await message.answer(text, reply_markup=kb.submit_or_cancel(t))


@router.callback_query(StateFilter(ChangeForm.confirm), kb.ChangeStep.filter(F.a == "submit"))
async def submit(query: CallbackQuery, state: FSMContext, repos: Repos, clock: Clock, policy: Policy,
                 zone: ZoneInfo, user: User, grants: list[RoleGrant], t: Translator) -> None:
    draft = await _draft(state)
    await state.clear()
    try:
        row = await service.request_change(repos, clock, policy, zone, user=user, grants=grants,
                                           agreement_id=draft["agreement"], kind=draft["kind"],
                                           reason=draft["reason"], detail=draft.get("detail", ""))
    except service.ChangeError as exc:
        await query.answer()
        await query.message.answer(t(f"change.error_{exc.reason}"))
        return
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(t("change.submitted", id=row.id))


@router.callback_query(StateFilter(ChangeForm), kb.ChangeStep.filter(F.a == "cancel"))
async def cancel(query: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await state.clear()
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(t("change.cancelled"))


@router.message(StateFilter(ChangeForm.agreement, ChangeForm.kind))
async def expect_button(message: Message, t: Translator) -> None:
    await message.answer(t("change.expect_button"))


@router.message(StateFilter(ChangeForm.reason, ChangeForm.targets))
async def expect_text(message: Message, t: Translator) -> None:
    await message.answer(t("change.expect_text"))


@router.message(StateFilter(ChangeForm.confirm))
async def expect_confirm(message: Message, t: Translator) -> None:
    await message.answer(t("change.expect_confirm"))


# --- the bureau ---------------------------------------------------------------------------------


@router.message(Command("changes"), HasRole(Role.BUREAU))
async def pending(message: Message, repos: Repos, t: Translator) -> None:
    rows = await service.pending_requests(repos)
    if not rows:
        await message.answer(t("change.pending_none"))
        return
    await message.answer(t("change.pending_title", count=len(rows)))
    asked_by = [service.requester_user_id(r) for r in rows]
    users = {u.id: u for u in await repos.users.by_ids([i for i in asked_by if i is not None])}
    for row in rows:
        await message.answer(request_card(t, row, service.requester_name(row, users)),
                             reply_markup=kb.approve_or_reject(t, row.id))


@router.callback_query(kb.ChangeDecision.filter())
async def decide(query: CallbackQuery, callback_data: kb.ChangeDecision, repos: Repos, clock: Clock,
                 policy: Policy, zone: ZoneInfo, user: User, grants: list[RoleGrant], t: Translator) -> None:
    approve = callback_data.a == "ok"
    try:
        row = await service.decide_change(repos, clock, policy, zone, user=user, grants=grants,
                                          request_id=callback_data.r, approve=approve)
    except service.ChangeError as exc:
        await query.answer(t(f"change.error_{exc.reason}"), show_alert=True)
        return
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(t("change.approved_done" if approve else "change.rejected_done", id=row.id))
