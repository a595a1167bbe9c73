"""/visits: my recent visits (and a commissioner's, for admins), amending within 24 h, voiding."""
from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.commands import ADMINS
from bot.filters import HasRole, admin_covers
from domain.clock import Clock
from domain.policy import Policy
from domain.roles import Role
from domain.visits import MAX_SUMMARY
from handlers.visit_steps import flags_summary, status_icon
from locales import Translator, when
from services import visits
from storage.repositories import Repos

if TYPE_CHECKING:  # names for annotations only: handlers do not touch the tables
    from storage.models import RoleGrant, User, Visit

router = Router(name="visits")
router.message.filter(HasRole(Role.COMMISSIONER, *ADMINS))
router.callback_query.filter(HasRole(Role.COMMISSIONER))

MENU_TEXTS = {Translator(lang)("menu.my_visits") for lang in ("zh", "en")}


class AmendVisit(CallbackData, prefix="va"):
    id: int


class AmendForm(StatesGroup):
    summary = State()


def _line(t: Translator, policy: Policy, visit: Visit) -> str:
    kind = next((k.text(t.lang) for k in policy.service_kinds if k.key == visit.kind), visit.kind)
    line = t("visits.line", id=visit.id, date=when.day(visit.visit_date, t.lang, year=False), enterprise=visit.enterprise.name,
             kind=kind, mode=t(f"visit.mode_{visit.mode}"), icon=status_icon(visit.evidence_status))
    if visit.voided_at is not None:
        return f"<s>{line}</s> " + t("visits.voided", reason=visit.void_reason or "")
    if suspicious := flags_summary(t, policy, visit.flags):
        line += f"\n    {suspicious}"
    return line


def _listing(t: Translator, policy: Policy, rows: list[Visit], title: str) -> str:
    if not rows:
        return t("visits.none")
    return "\n".join([title, *(_line(t, policy, v) for v in rows)])


@router.message(Command("visits"))
@router.message(F.text.in_(MENU_TEXTS))
async def list_visits(message: Message, repos: Repos, grants: list[RoleGrant], user: User, policy: Policy,
                      clock: Clock, t: Translator, command: CommandObject | None = None) -> None:
    code = (command.args or "").strip() if command else ""
    if code:
        await _admin_listing(message, repos, grants, policy, t, code)
        return
    mine = next((g.commissioner_id for g in grants if g.role == Role.COMMISSIONER), None)
    if mine is None:
        await message.answer(t("visits.usage_admin"))
        return
    rows = await repos.visits.recent(mine, limit=10)
    now = clock.now()
    amendable = [v for v in rows if visits.may_amend(v, user.id, now)]
    markup = _amend_buttons(t, amendable) if amendable else None
    await message.answer(_listing(t, policy, rows, t("visits.title_mine")), reply_markup=markup)


def _amend_buttons(t: Translator, rows: list[Visit]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for visit in rows:
        builder.button(text=t("visits.amend_button", id=visit.id), callback_data=AmendVisit(id=visit.id))
    return builder.adjust(3).as_markup()


async def _admin_listing(message: Message, repos: Repos, grants: list[RoleGrant], policy: Policy,
                         t: Translator, code: str) -> None:
    if not any(Role(g.role) in ADMINS for g in grants):
        await message.answer(t("visits.only_admins"))
        return
    commissioner = await repos.people.commissioner(code)
    if commissioner is None:
        await message.answer(t("invite.unknown", kind=t("roles.commissioner"), code=code))
        return
    if not admin_covers(grants, commissioner.county):
        await message.answer(t("visits.not_your_county"))
        return
    rows = await repos.visits.recent(commissioner.id, limit=30)
    await message.answer(_listing(t, policy, rows, t("visits.title_of", name=commissioner.name, code=code)))


@router.callback_query(AmendVisit.filter())
async def amend_start(query: CallbackQuery, callback_data: AmendVisit, state: FSMContext, repos: Repos,
                      user: User, clock: Clock, t: Translator) -> None:
    visit = await repos.visits.get(callback_data.id)
    if visit is None or not visits.may_amend(visit, user.id, clock.now()):
        await query.answer(t("visit.error_amend_closed"), show_alert=True)
        return
    await state.set_state(AmendForm.summary)
    await state.update_data(amend_visit=visit.id)
    await query.answer()
    await query.message.answer(t("visits.amend_ask", id=visit.id, summary=visit.summary))


@router.message(StateFilter(AmendForm.summary), F.text)
async def amend_text(message: Message, state: FSMContext, repos: Repos, user: User, clock: Clock,
                     policy: Policy, t: Translator) -> None:
    visit_id = (await state.get_data()).get("amend_visit")
    try:
        visit = await visits.amend_summary(repos, clock, policy, user_id=user.id, visit_id=visit_id,
                                           summary=message.text.strip())
    except visits.VisitError as exc:
        await message.answer(t(f"visit.error_{exc.reason}", min=policy.visit.min_summary_chars, max=MAX_SUMMARY))
        if exc.reason not in ("summary_short", "summary_long"):  # the author may try again
            await state.clear()
        return
    await state.clear()
    await message.answer(t("visits.amended", id=visit.id))


@router.message(StateFilter(AmendForm.summary))
async def amend_not_text(message: Message, t: Translator) -> None:
    await message.answer(t("visit.expect_summary"))


@router.message(Command("void"), HasRole(*ADMINS))
async def void(message: Message, command: CommandObject, repos: Repos, grants: list[RoleGrant], user: User,
               clock: Clock, t: Translator) -> None:
    parts = (command.args or "").split(maxsplit=1)
    if len(parts) < 2 or not parts[0].lstrip("#").isdigit():
        await message.answer(t("visits.void_usage"))
        return
    visit = await repos.visits.get(int(parts[0].lstrip("#")))
    if visit is None:
        await message.answer(t("visits.no_such", id=parts[0]))
        return
    if not admin_covers(grants, visit.enterprise.county):
        await message.answer(t("visits.not_your_county"))
        return
    try:
        await visits.void_visit(repos, clock, admin_user_id=user.id, visit=visit, reason=parts[1])
    except visits.VisitError as exc:
        await message.answer(t(f"visit.error_{exc.reason}"))
        return
    await message.answer(t("visits.voided_ok", id=visit.id, reason=visit.void_reason))
