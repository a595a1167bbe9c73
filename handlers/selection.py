"""Two-way selection in the chat: /needs for admins and commissioners (the enterprise's own list is
handlers/need.py), ranked candidates, interest from either side, /pairings and the bureau's
confirmation, /notice (公示) with objections, /sign, and renewal answers."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aiogram import BaseMiddleware, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message, TelegramObject

from bot.filters import TYPED, HasRole
from domain.roles import Role
from keyboards import selection as kb
from keyboards.layout import column
from locales import Translator
from messages.needs import need_card
from messages.selection import (
    match_reasons,
    need_line,
    pairing_line,
    publicity_entry,
    publicity_period_text,
    ready_card,
)
from services import selection as service
from services.publicity_list import publicity_workbook

if TYPE_CHECKING:  # names for annotations only: handlers do not touch the tables
    from storage.models import Pairing

router = Router(name="selection")
router.message.filter(HasRole(*Role))
router.callback_query.filter(HasRole(*Role))

ADMINS = (Role.COUNTY, Role.BUREAU)
T = TypeVar("T")
SHOWN = 20  # needs or publicity entries per list


class ObjectionForm(StatesGroup):
    reason = State()


class SelectionContext(BaseMiddleware):
    """Puts `ctx` (who acts, when, under which policy) in the data of every handler here."""

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        data["ctx"] = service.Context(data["repos"], data["clock"], data["policy"], data["zone"], data["user"],
                                      data["grants"])
        return await handler(event, data)


router.message.middleware(SelectionContext())
router.callback_query.middleware(SelectionContext())


async def _tap(query: CallbackQuery, t: Translator, step: Awaitable[T], *, done_with_buttons: bool = True) -> T | None:
    """Run a button's step. A refusal is an alert and None, and changes nothing; otherwise the tap is
    answered and, when `done_with_buttons`, the message's buttons go (a second tap has nothing to press)."""
    try:
        result = await step
    except service.SelectionError as exc:
        await query.answer(t(f"selection.error_{exc.reason}"), show_alert=True)
        return None
    await query.answer()
    if done_with_buttons:
        await query.message.edit_reply_markup(reply_markup=None)
    return result


async def _cards(message: Message, t: Translator, texts: str, rows: list,
                 card: Callable[[Any], tuple[str, InlineKeyboardMarkup | None]]) -> None:
    """A list as a title and one message per row, each with its buttons: `<texts>_none` when
    empty, else `<texts>_title` and the first SHOWN rows."""
    if not rows:
        await message.answer(t(f"{texts}_none"))
        return
    await message.answer(t(f"{texts}_title", count=len(rows)))
    for row in rows[:SHOWN]:
        text, markup = card(row)
        await message.answer(text, reply_markup=markup)
    await _more(message, t, rows)


async def _more(message: Message, t: Translator, rows: list) -> None:
    """Lists show SHOWN entries; say so when there are more."""
    if len(rows) > SHOWN:
        await message.answer(t("selection.more", shown=SHOWN, count=len(rows)))


# --- /needs --------------------------------------------------------------------------------------

@router.message(Command("needs"), HasRole(*ADMINS))
async def admin_needs(message: Message, ctx: service.Context, t: Translator) -> None:
    needs = await service.needs_for_admin(ctx)
    await _cards(message, t, "selection.needs", needs, lambda need: (
        need_card(t, need), kb.one(t("selection.button_candidates"), kb.NeedView(n=need.id))))


@router.message(Command("needs"), HasRole(Role.COMMISSIONER))
async def commissioner_needs(message: Message, ctx: service.Context, t: Translator) -> None:
    shown = 0
    for commissioner_id in sorted(ctx.ids(Role.COMMISSIONER, "commissioner_id")):
        for need, match in await service.needs_for_commissioner(ctx, commissioner_id):
            shown += 1
            await message.answer(need_card(t, need) + "\n" + t("selection.why_you", reasons=match_reasons(t, match)),
                                 reply_markup=kb.interest(t, need.id, commissioner_id, "c"))
    if not shown:
        await message.answer(t("selection.needs_none_for_you"))


@router.callback_query(kb.NeedView.filter())
async def candidates(query: CallbackQuery, callback_data: kb.NeedView, ctx: service.Context, t: Translator) -> None:
    found = await _tap(query, t, service.candidates_for(ctx, callback_data.n),
                       done_with_buttons=False)
    if found is None:
        return
    need, matches, pairings = found
    lines = [t("selection.candidates_title", need=need_line(t, need))]
    lines += [t("selection.candidate_line", n=i, name=m.candidate.name, code=m.candidate.code,
                reasons=match_reasons(t, m)) for i, m in enumerate(matches, start=1)]
    if not matches:
        lines.append(t("selection.candidates_none"))
    if pairings:
        lines.append(t("selection.pairings_title"))
        lines += [_pairing_state(t, p) for p in pairings]
    # The enterprise chooses from here (双向选择); admins only read.
    enterprise = need.enterprise_id in ctx.ids(Role.ENTERPRISE, "enterprise_id")
    buttons = [(t("selection.button_choose", name=m.candidate.name), kb.Interest(n=need.id, c=m.candidate.id, s="e"))
               for m in matches if enterprise]
    await query.message.answer("\n".join(lines), reply_markup=column(buttons) if buttons else None)


def _pairing_state(t: Translator, p: Pairing) -> str:
    sides = []
    if p.commissioner_interest_at is not None:
        sides.append(t("selection.side_commissioner"))
    if p.enterprise_interest_at is not None:
        sides.append(t("selection.side_enterprise"))
    return t("selection.pairing_state", pairing=pairing_line(t, p), status=t(f"selection.status_{p.status}"),
             sides=t("report.list_join").join(sides) or "—")


@router.callback_query(kb.Interest.filter())
async def interest(query: CallbackQuery, callback_data: kb.Interest, ctx: service.Context, t: Translator) -> None:
    pairing = await _tap(query, t, service.express_interest(
        ctx, need_id=callback_data.n, commissioner_id=callback_data.c,
        side=callback_data.s), done_with_buttons=False)  # a candidates list keeps its other choices
    if pairing is None:
        return
    both = pairing.commissioner_interest_at is not None and pairing.enterprise_interest_at is not None
    await query.message.answer(t("selection.interest_both" if both else "selection.interest_sent",
                                 pairing=pairing_line(t, pairing)))


# --- the bureau's confirmation -----------------------------------------------------------------------

@router.message(Command("pairings"), HasRole(Role.BUREAU))
async def ready(message: Message, ctx: service.Context, t: Translator) -> None:
    rows = await service.ready_pairings(ctx)
    await _cards(message, t, "selection.ready", rows,
                 lambda row: (ready_card(t, *row), kb.confirm_or_reject(t, row[0].id)))


@router.callback_query(kb.PairingDecision.filter())
async def decide(query: CallbackQuery, callback_data: kb.PairingDecision, ctx: service.Context, t: Translator) -> None:
    approve = callback_data.a == "ok"
    p = await _tap(query, t, service.decide_pairing(ctx,
                                                    pairing_id=callback_data.p, approve=approve))
    if p is None:
        return
    if not approve:
        text = t("selection.rejected_done", pairing=pairing_line(t, p))
    elif p.notice_end is not None:
        text = t("selection.confirmed_notice", pairing=pairing_line(t, p), period=publicity_period_text(t, p))
    else:
        text = t("selection.confirmed_signing", pairing=pairing_line(t, p))
    await query.message.answer(text)


# --- /notice (publicity) and objections -----------------------------------------------------------------

@router.message(Command("notice"))
async def publicity(message: Message, ctx: service.Context, t: Translator) -> None:
    rows = await service.in_publicity(ctx.repos)
    if not rows:
        await message.answer(t("selection.notice_none"))
        return
    admin = any(ctx.has(role) for role in ADMINS)
    await message.answer(t("selection.notice_title", count=len(rows)), reply_markup=kb.one(
        t("selection.button_export"), kb.PublicityExport()) if admin else None)
    for p in rows[:SHOWN]:
        await message.answer(publicity_entry(t, p), reply_markup=kb.object_to(t, p.id))
    await _more(message, t, rows)


@router.callback_query(kb.PublicityExport.filter(), HasRole(*ADMINS))
async def export(query: CallbackQuery, ctx: service.Context, t: Translator) -> None:
    rows = await service.in_publicity(ctx.repos)
    await query.answer()
    day = ctx.today.isoformat()
    await query.message.answer_document(BufferedInputFile(publicity_workbook(t, rows), filename=f"notice-{day}.xlsx"),
                                        caption=t("selection.export_caption", count=len(rows)))


@router.callback_query(kb.ObjectTo.filter())
async def object_to(query: CallbackQuery, callback_data: kb.ObjectTo, state: FSMContext, ctx: service.Context,
                    t: Translator) -> None:
    p = await _tap(query, t, service.open_to_objection(ctx, callback_data.p), done_with_buttons=False)
    if p is None:
        return
    await state.set_state(ObjectionForm.reason)
    await state.set_data({"pairing": p.id})
    await query.message.answer(t("selection.ask_objection", pairing=pairing_line(t, p)))


@router.message(StateFilter(ObjectionForm.reason), TYPED)
async def objection_reason(message: Message, state: FSMContext, ctx: service.Context, t: Translator) -> None:
    pairing_id = (await state.get_data()).get("pairing")
    try:
        row = await service.file_objection(ctx, pairing_id=pairing_id,
                                           reason=message.text)
    except service.SelectionError as exc:
        await message.answer(t(f"selection.error_{exc.reason}"))
        if exc.reason != "reason_short":
            await state.clear()
        return
    await state.clear()
    await message.answer(t("selection.objection_filed", id=row.id))


@router.message(StateFilter(ObjectionForm.reason))
async def objection_expects_text(message: Message, t: Translator) -> None:
    await message.answer(t("selection.expect_text"))


@router.callback_query(kb.ObjectionDecision.filter())
async def decide_objection(query: CallbackQuery, callback_data: kb.ObjectionDecision, ctx: service.Context,
                           t: Translator) -> None:
    row = await _tap(query, t, service.decide_objection(ctx,
                                                        objection_id=callback_data.o, uphold=callback_data.a == "up"))
    if row is None:
        return
    await query.message.answer(t(f"selection.objection_{row.decision}_done", id=row.id,
                                 pairing=pairing_line(t, row.pairing)))


# --- signing -----------------------------------------------------------------------------------------

@router.message(Command("sign"))
async def to_sign(message: Message, ctx: service.Context, t: Translator) -> None:
    rows = await service.awaiting_signature(ctx)
    if not rows:
        await message.answer(t("selection.sign_none"))
        return
    for p in rows[:SHOWN]:
        await message.answer(t("selection.sign_entry", pairing=pairing_line(t, p),
                               targets=p.need.expected_help or "—", months=ctx.policy.selection.term_months),
                             reply_markup=kb.sign(t, p.id))
    await _more(message, t, rows)


@router.callback_query(kb.Sign.filter())
async def sign(query: CallbackQuery, callback_data: kb.Sign, ctx: service.Context, t: Translator) -> None:
    done = await _tap(query, t, service.sign(ctx, pairing_id=callback_data.p))
    if done is None:
        return
    if done.agreement is not None:
        a = done.agreement
        await query.message.answer(t("selection.signed_all", start=a.start_date,
                                     end=a.end_date))
        return
    waiting = t("report.list_join").join(t(f"selection.party_{p.value}") for p in done.missing)
    await query.message.answer(t("selection.signed_waiting", waiting=waiting))


# --- renewal -----------------------------------------------------------------------------------------

@router.callback_query(kb.Renewal.filter())
async def renewal(query: CallbackQuery, callback_data: kb.Renewal, ctx: service.Context, t: Translator) -> None:
    answer = await _tap(query, t, service.answer_renewal(ctx,
                                                         agreement_id=callback_data.g, accept=callback_data.a == "yes"))
    if answer is None:
        return
    if answer.renewed is not None:
        text = t("selection.renewed", start=answer.renewed.start_date,
                 end=answer.renewed.end_date)
    else:
        text = t("selection.renewal_yes_waiting" if answer.accepted else "selection.renewal_no_done")
    await query.message.answer(text)
