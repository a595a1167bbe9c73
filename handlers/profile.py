"""/profile: a commissioner's expertise profile (fields, keywords, capacity), which matching reads.
The card shows it with the current load; each field is edited by answering one question; /cancel or
the cancel button leaves it as it was. Someone holding several commissioner grants picks one first."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.filters import NOT_COMMAND, TYPED, HasRole
from domain import expertise as rules
from domain.clock import Clock, local_today
from domain.policy import Policy
from domain.roles import Role
from keyboards import profile as kb
from locales import Translator
from services import expertise as service
from storage.repositories import Repos

if TYPE_CHECKING:  # names for annotations only: handlers do not touch the tables
    from storage.models import RoleGrant, User

router = Router(name="profile")
router.message.filter(HasRole(Role.COMMISSIONER))
router.callback_query.filter(HasRole(Role.COMMISSIONER))



class ProfileForm(StatesGroup):
    pick = State()  # which commissioner (several grants)
    card = State()  # the card with its buttons
    expertise = State()
    keywords = State()
    capacity = State()


QUESTIONS = {rules.ProfileField.EXPERTISE: ProfileForm.expertise, rules.ProfileField.KEYWORDS: ProfileForm.keywords,
             rules.ProfileField.CAPACITY: ProfileForm.capacity}
FIELD_OF = {state.state: field for field, state in QUESTIONS.items()}
ASKING = StateFilter(*QUESTIONS.values())


def _limits() -> dict[str, int]:
    low, high = rules.CAPACITY_RANGE
    return {"min": rules.TEXT_MIN, "max": rules.TEXT_MAX, "low": low, "high": high}


def _question(t: Translator, policy: Policy, commissioner_id: int, field: str) -> tuple[str, InlineKeyboardMarkup]:
    """The question for `field` and its buttons (cancel; for the capacity, the policy's default too)."""
    default = policy.selection.default_capacity if field == rules.ProfileField.CAPACITY else None
    return t(f"profile.ask.{field}", **_limits()), kb.question(t, commissioner_id, default)


async def _current(state: FSMContext) -> int | None:
    return (await state.get_data()).get("profile", {}).get("c")


async def _mine(query: CallbackQuery, callback_data: kb.ProfileStep, state: FSMContext, t: Translator) -> bool:
    """The button is of the profile this conversation is about; otherwise say it is stale."""
    if await _current(state) == callback_data.c:
        return True
    await query.answer(t("profile.stale"), show_alert=True)
    return False


def _render(t: Translator, view: service.ProfileCard) -> str:
    c = view.commissioner
    capacity = (t("profile.capacity_default", n=view.default_capacity) if c.capacity is None
                else t("profile.capacity_own", n=c.capacity))
    status = t.or_else(f"profile.status.{c.status}", c.status)
    text = t("profile.card", name=c.name, code=c.code, status=status, expertise=c.expertise or t("profile.empty"),
             keywords=c.keywords or t("profile.empty"), capacity=capacity, load=view.load)
    return text + "\n" + t("profile.card_hint" if rules.editable(c.status) else "profile.card_locked")


async def _show(message: Message, state: FSMContext, repos: Repos, policy: Policy, grants: list[RoleGrant],
                today: date, t: Translator, commissioner_id: int, lead: str | None = None) -> None:
    view = await service.card(repos, policy, grants, commissioner_id, today)
    await state.set_state(ProfileForm.card)
    await state.set_data({"profile": {"c": commissioner_id}})
    text = _render(t, view) if lead is None else f"{lead}\n\n{_render(t, view)}"
    await message.answer(text, reply_markup=kb.card(t, commissioner_id, rules.editable(view.commissioner.status)))


@router.message(Command("profile"))
async def start(message: Message, state: FSMContext, repos: Repos, policy: Policy, clock: Clock, zone: ZoneInfo,
                grants: list[RoleGrant], t: Translator) -> None:
    mine = await service.own_commissioners(repos, grants)
    if not mine:
        await state.clear()
        await message.answer(t("profile.error_not_own"))
        return
    if len(mine) == 1:
        await _show(message, state, repos, policy, grants, local_today(clock, zone), t, mine[0].id)
        return
    await state.set_state(ProfileForm.pick)
    await state.set_data({"profile": {}})
    await message.answer(t("profile.ask_which"), reply_markup=kb.choose(
        [(t("profile.which", name=c.name, code=c.code), c.id) for c in mine]))


@router.callback_query(StateFilter(ProfileForm.pick), kb.ProfileStep.filter(F.a == "pick"))
async def picked(query: CallbackQuery, callback_data: kb.ProfileStep, state: FSMContext, repos: Repos,
                 policy: Policy, clock: Clock, zone: ZoneInfo, grants: list[RoleGrant], t: Translator) -> None:
    if callback_data.c not in service.own_ids(grants):
        await query.answer(t("profile.stale"), show_alert=True)
        return
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await _show(query.message, state, repos, policy, grants, local_today(clock, zone), t, callback_data.c)


@router.callback_query(StateFilter(ProfileForm.card), kb.ProfileStep.filter(F.a == "edit"))
async def edit(query: CallbackQuery, callback_data: kb.ProfileStep, state: FSMContext, repos: Repos,
               policy: Policy, grants: list[RoleGrant], t: Translator) -> None:
    if callback_data.v not in QUESTIONS:
        await query.answer(t("profile.stale"), show_alert=True)
        return
    if not await _mine(query, callback_data, state, t):
        return
    try:
        await service.editable(repos, grants, callback_data.c)
    except service.ExpertiseError as exc:
        await query.answer(t(f"profile.error_{exc.reason}"), show_alert=True)
        return
    await state.set_state(QUESTIONS[callback_data.v])
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    text, markup = _question(t, policy, callback_data.c, callback_data.v)
    await query.message.answer(text, reply_markup=markup)


async def _save(message: Message, state: FSMContext, repos: Repos, policy: Policy, clock: Clock, zone: ZoneInfo,
                user: User, grants: list[RoleGrant], t: Translator, field: str, text: str | None) -> None:
    commissioner_id = await _current(state)
    try:
        saved = await service.update(repos, clock, user=user, grants=grants, commissioner_id=commissioner_id,
                                     field=field, text=text)
    except service.ExpertiseError as exc:
        if exc.reason in ("not_own", "not_editable"):
            await state.clear()
            await message.answer(t(f"profile.error_{exc.reason}"))
            return
        text, markup = _question(t, policy, commissioner_id, field)
        await message.answer(t(f"profile.error_{exc.reason}", **_limits()) + "\n" + text, reply_markup=markup)
        return
    lead = t("profile.saved", field=t(f"profile.field.{field}")) if saved.changed else t("profile.unchanged")
    await _show(message, state, repos, policy, grants, local_today(clock, zone), t, commissioner_id, lead)


@router.message(ASKING, TYPED)
async def answered(message: Message, state: FSMContext, repos: Repos, policy: Policy, clock: Clock, zone: ZoneInfo,
                   user: User, grants: list[RoleGrant], t: Translator) -> None:
    field = FIELD_OF[await state.get_state()]
    await _save(message, state, repos, policy, clock, zone, user, grants, t, field, message.text)


@router.callback_query(StateFilter(ProfileForm.capacity), kb.ProfileStep.filter(F.a == "default"))
async def default_capacity(query: CallbackQuery, callback_data: kb.ProfileStep, state: FSMContext, repos: Repos,
                           policy: Policy, clock: Clock, zone: ZoneInfo, user: User, grants: list[RoleGrant],
                           t: Translator) -> None:
    if not await _mine(query, callback_data, state, t):
        return
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await _save(query.message, state, repos, policy, clock, zone, user, grants, t, rules.ProfileField.CAPACITY, None)


@router.callback_query(ASKING, kb.ProfileStep.filter(F.a == "cancel"))
async def cancel(query: CallbackQuery, callback_data: kb.ProfileStep, state: FSMContext, repos: Repos,
                 policy: Policy, clock: Clock, zone: ZoneInfo, grants: list[RoleGrant], t: Translator) -> None:
    if not await _mine(query, callback_data, state, t):
        return
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await _show(query.message, state, repos, policy, grants, local_today(clock, zone), t, callback_data.c,
                t("profile.cancelled"))


@router.callback_query(StateFilter(ProfileForm.card), kb.ProfileStep.filter(F.a == "done"))
async def done(query: CallbackQuery, callback_data: kb.ProfileStep, state: FSMContext, t: Translator) -> None:
    if not await _mine(query, callback_data, state, t):
        return
    await state.clear()
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(t("profile.done"))


@router.callback_query(kb.ProfileStep.filter())
async def stale(query: CallbackQuery, t: Translator) -> None:
    """A profile button of another step, or of a conversation that has ended."""
    await query.answer(t("profile.stale"), show_alert=True)


@router.message(StateFilter(ProfileForm.pick, ProfileForm.card), NOT_COMMAND)
async def expect_button(message: Message, t: Translator) -> None:
    await message.answer(t("profile.expect_button"))


@router.message(ASKING, NOT_COMMAND)
async def expect_text(message: Message, t: Translator) -> None:
    await message.answer(t("profile.expect_text"))
