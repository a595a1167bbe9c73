"""/outcome: a commissioner logs a result (kind, enterprise, title, date, evidence file)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.filters import HasRole
from domain.clock import Clock, local_today
from domain.policy import Policy
from domain.roles import Role
from domain.visits import parse_date
from locales import Translator
from handlers.uploads import receive
from services.assessment_texts import outcome_question
from services.outcomes import OutcomeError, log_outcome
from storage.evidence_store import EvidenceStore, UploadRejected
from storage.repositories import Repos

if TYPE_CHECKING:  # names for annotations only: handlers do not touch the tables
    from storage.models import RoleGrant, User

router = Router(name="outcome")
router.message.filter(HasRole(Role.COMMISSIONER))
router.callback_query.filter(HasRole(Role.COMMISSIONER))


class OutcomeForm(StatesGroup):
    kind = State()
    enterprise = State()
    title = State()
    date = State()
    evidence = State()


class OutcomeAction(CallbackData, prefix="oc"):
    a: str  # kind, ent, today, skip
    v: str = ""


def _keyboard(buttons: list[tuple[str, OutcomeAction]], width: int = 2) -> InlineKeyboardMarkup:
    rows = [buttons[i:i + width] for i in range(0, len(buttons), width)]
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=text, callback_data=data.pack())
                                                  for text, data in row] for row in rows])


def _commissioner(grants: list[RoleGrant]) -> int:
    return next(g.commissioner_id for g in grants if g.role == Role.COMMISSIONER)


@router.message(Command("outcome"))
async def start(message: Message, state: FSMContext, policy: Policy, t: Translator) -> None:
    await state.set_state(OutcomeForm.kind)
    await state.set_data({"outcome": {}})
    await message.answer(outcome_question(t, policy), reply_markup=_keyboard(
        [(k.text(t.lang), OutcomeAction(a="kind", v=k.key)) for k in policy.outcome_kinds]))


@router.callback_query(StateFilter(OutcomeForm.kind), OutcomeAction.filter(F.a == "kind"))
async def chose_kind(query: CallbackQuery, callback_data: OutcomeAction, state: FSMContext, repos: Repos,
                     grants: list[RoleGrant], t: Translator) -> None:
    agreements = [a for a in await repos.people.agreements_of(commissioner_id=_commissioner(grants))
                  if a.status in ("active", "ended")]
    data = {"kind": callback_data.v}
    await query.answer()
    if len(agreements) == 1:
        data["agreement"] = agreements[0].id
        await state.set_state(OutcomeForm.title)
        await state.set_data({"outcome": data})
        await query.message.answer(t("outcome.ask_title", enterprise=agreements[0].enterprise.name))
        return
    await state.set_state(OutcomeForm.enterprise)
    await state.set_data({"outcome": data})
    await query.message.answer(t("outcome.ask_enterprise"), reply_markup=_keyboard(
        [(a.enterprise.name, OutcomeAction(a="ent", v=str(a.id))) for a in agreements], width=1))


@router.callback_query(StateFilter(OutcomeForm.enterprise), OutcomeAction.filter(F.a == "ent"))
async def chose_enterprise(query: CallbackQuery, callback_data: OutcomeAction, state: FSMContext,
                           t: Translator) -> None:
    data = (await state.get_data())["outcome"]
    data["agreement"] = int(callback_data.v)
    await state.set_state(OutcomeForm.title)
    await state.set_data({"outcome": data})
    await query.answer()
    await query.message.answer(t("outcome.ask_title", enterprise=""))


@router.message(StateFilter(OutcomeForm.title), F.text)
async def titled(message: Message, state: FSMContext, t: Translator) -> None:
    data = (await state.get_data())["outcome"]
    data["title"] = message.text.strip()[:500]
    await state.set_state(OutcomeForm.date)
    await state.set_data({"outcome": data})
    await message.answer(t("outcome.ask_date"), reply_markup=_keyboard([(t("visit.today"), OutcomeAction(a="today"))]))


async def _dated(message: Message, state: FSMContext, t: Translator, day) -> None:  # noqa: ANN001 - date
    data = (await state.get_data())["outcome"]
    data["date"] = day.isoformat()
    await state.set_state(OutcomeForm.evidence)
    await state.set_data({"outcome": data})
    await message.answer(t("outcome.ask_evidence"), reply_markup=_keyboard([(t("feedback.button_skip"),
                                                                             OutcomeAction(a="skip"))]))


@router.callback_query(StateFilter(OutcomeForm.date), OutcomeAction.filter(F.a == "today"))
async def today(query: CallbackQuery, state: FSMContext, clock: Clock, zone: ZoneInfo, t: Translator) -> None:
    await query.answer()
    await _dated(query.message, state, t, local_today(clock, zone))


@router.message(StateFilter(OutcomeForm.date), F.text)
async def typed_date(message: Message, state: FSMContext, clock: Clock, zone: ZoneInfo, t: Translator) -> None:
    today_ = local_today(clock, zone)
    day = parse_date(message.text, today_)
    if day is None or day > today_:
        await message.answer(t("outcome.bad_date"))
        return
    await _dated(message, state, t, day)


async def _save(message: Message, state: FSMContext, repos: Repos, clock: Clock, zone: ZoneInfo, policy: Policy,
                user: User, grants: list[RoleGrant], t: Translator, file_id: int | None) -> None:
    data = (await state.get_data())["outcome"]
    from datetime import date

    try:
        await log_outcome(repos, clock, policy, commissioner_id=_commissioner(grants), agreement_id=data["agreement"],
                          kind=data["kind"], title=data["title"], achieved_on=date.fromisoformat(data["date"]),
                          today=local_today(clock, zone), user_id=user.id, evidence_file_id=file_id)
    except OutcomeError as exc:
        await state.clear()
        await message.answer(t(f"outcome.error_{exc.reason}"))
        return
    await state.clear()
    kind = next(k.text(t.lang) for k in policy.outcome_kinds if k.key == data["kind"])
    await message.answer(t("outcome.saved", kind=kind, title=data["title"]))


@router.callback_query(StateFilter(OutcomeForm.evidence), OutcomeAction.filter(F.a == "skip"))
async def no_evidence(query: CallbackQuery, state: FSMContext, repos: Repos, clock: Clock, zone: ZoneInfo,
                      policy: Policy, user: User, grants: list[RoleGrant], t: Translator) -> None:
    await query.answer()
    await _save(query.message, state, repos, clock, zone, policy, user, grants, t, None)


@router.message(StateFilter(OutcomeForm.evidence), F.document | F.photo)
async def evidence(message: Message, bot: Bot, state: FSMContext, repos: Repos, clock: Clock, zone: ZoneInfo,
                   policy: Policy, user: User, grants: list[RoleGrant], evidence_store: EvidenceStore,
                   t: Translator) -> None:
    try:
        stored = await receive(message, bot, evidence_store, repos, clock)
    except UploadRejected as exc:
        await message.answer(t(f"visit.upload_{exc.reason}"))
        return
    await _save(message, state, repos, clock, zone, policy, user, grants, t, stored.id)


@router.message(StateFilter(OutcomeForm.kind, OutcomeForm.enterprise, OutcomeForm.title, OutcomeForm.date,
                            OutcomeForm.evidence))
async def other(message: Message, t: Translator) -> None:
    await message.answer(t("outcome.expect"))
