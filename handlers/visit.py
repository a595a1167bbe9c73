"""/visit: the commissioner tells a visit, step by step, and confirms it on a summary card.

`VisitContext` (visit_steps.py) gives every handler here `ctx` and the current `draft`, and
answers buttons that belong to another draft before they get here.
"""
from __future__ import annotations

import secrets
from html import escape
from typing import TYPE_CHECKING

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.types import CallbackQuery, Message

from domain.policy import Policy
from domain.visits import (
    MAX_SUMMARY,
    DateCheck,
    Step,
    VisitDraft,
    check_date,
    parse_date,
    summary_length,
    summary_problem,
)
from handlers.visit_steps import DRAFT, STATE_OF, VisitCtx, VisitForm, ask_next, flags_summary, visit_router
from keyboards import visit as kb
from locales import Translator
from services import visits

if TYPE_CHECKING:  # names for annotations only: handlers do not touch the tables
    from storage.models import Agreement

router = visit_router("visit")

MENU_TEXTS = {Translator(lang)("menu.log_visit") for lang in ("zh", "en")}


@router.message(Command("visit"))
@router.message(F.text.in_(MENU_TEXTS))
async def start_visit(message: Message, ctx: VisitCtx, draft: VisitDraft | None) -> None:
    if draft is not None and await ctx.state.get_state() in {s.state for s in VisitForm.__states__}:
        await message.answer(ctx.t("visit.unfinished", enterprise=draft.enterprise_name or "—"),
                             reply_markup=kb.unfinished(ctx.t, draft.key))
        return
    await _new_draft(message, ctx)


async def _new_draft(message: Message, ctx: VisitCtx) -> None:
    agreements = await ctx.active_agreements()
    if not agreements:
        await ctx.state.clear()
        await message.answer(ctx.t("visit.no_agreements"))
        return
    draft = VisitDraft(key=secrets.token_hex(8))
    if len(agreements) == 1:  # one enterprise: nothing to ask
        _set_agreement(draft, agreements[0])
    await ctx.state.set_data({DRAFT: draft.to_dict()})
    await ask_next(message, ctx, draft)


def _set_agreement(draft: VisitDraft, agreement: Agreement) -> None:
    draft.agreement_id = agreement.id
    draft.enterprise_id = agreement.enterprise_id
    draft.enterprise_name = agreement.enterprise.name


@router.callback_query(kb.VisitAction.filter(F.a == "resume"))
async def resume(query: CallbackQuery, ctx: VisitCtx, draft: VisitDraft) -> None:
    await query.answer()
    await ask_next(query.message, ctx, draft)


@router.callback_query(kb.VisitAction.filter(F.a == "restart"))
async def restart(query: CallbackQuery, ctx: VisitCtx) -> None:
    await query.answer()
    await _new_draft(query.message, ctx)


@router.callback_query(kb.VisitAction.filter(F.a == "cancel"))
async def cancel(query: CallbackQuery, ctx: VisitCtx) -> None:
    await ctx.state.clear()
    await query.answer()
    await query.message.edit_text(ctx.t("visit.cancelled"))


async def _choose(query: CallbackQuery, ctx: VisitCtx, draft: VisitDraft, label: str | None) -> None:
    """Keep the answer visible under its question (whose buttons go) and ask the next one."""
    if label is None:  # a value this draft does not offer: an old keyboard
        await query.answer(ctx.t("visit.stale_button"), show_alert=True)
        return
    await query.answer()
    question = query.message.html_text if query.message.text else ""
    await query.message.edit_text(f"{question}\n→ <b>{escape(label, quote=False)}</b>")
    await ask_next(query.message, ctx, draft)


@router.callback_query(kb.VisitAction.filter(F.a == "ent"))
async def chose_enterprise(query: CallbackQuery, callback_data: kb.VisitAction, ctx: VisitCtx,
                           draft: VisitDraft) -> None:
    chosen = next((a for a in await ctx.active_agreements() if str(a.id) == callback_data.v), None)
    if chosen is not None:
        _set_agreement(draft, chosen)
    await _choose(query, ctx, draft, chosen.enterprise.name if chosen else None)


@router.callback_query(kb.VisitAction.filter(F.a == "kind"))
async def chose_kind(query: CallbackQuery, callback_data: kb.VisitAction, ctx: VisitCtx, draft: VisitDraft) -> None:
    kind = next((k for k in ctx.policy.service_kinds if k.key == callback_data.v), None)
    if kind is not None:
        draft.kind = kind.key
    await _choose(query, ctx, draft, kind.text(ctx.t.lang) if kind else None)


@router.callback_query(kb.VisitAction.filter(F.a == "mode"))
async def chose_mode(query: CallbackQuery, callback_data: kb.VisitAction, ctx: VisitCtx, draft: VisitDraft) -> None:
    known = callback_data.v in ("on_site", "online")
    if known:
        draft.mode = callback_data.v
    await _choose(query, ctx, draft, ctx.t(f"visit.mode_{callback_data.v}") if known else None)


@router.callback_query(kb.VisitAction.filter(F.a == "date"))
async def chose_date(query: CallbackQuery, callback_data: kb.VisitAction, ctx: VisitCtx, draft: VisitDraft) -> None:
    if problem := _date_problem(ctx, parse_date(callback_data.v, ctx.today)):
        await query.answer(problem, show_alert=True)
        return
    draft.visit_date = callback_data.v
    await _choose(query, ctx, draft, callback_data.v)


def _date_problem(ctx: VisitCtx, day) -> str | None:  # noqa: ANN001 - date | None
    if day is None:
        return ctx.t("visit.date_unreadable")
    check = check_date(day, ctx.today, ctx.policy.visit.max_backdate_days)
    if check is DateCheck.FUTURE:
        return ctx.t("visit.date_future")
    if check is DateCheck.TOO_OLD:
        return ctx.t("visit.date_too_old", days=ctx.policy.visit.max_backdate_days)
    return None


@router.message(StateFilter(VisitForm.date), F.text)
async def typed_date(message: Message, ctx: VisitCtx, draft: VisitDraft) -> None:
    day = parse_date(message.text, ctx.today)
    if problem := _date_problem(ctx, day):
        await message.answer(problem)
        return
    draft.visit_date = day.isoformat()
    await ask_next(message, ctx, draft)


@router.message(StateFilter(VisitForm.summary), F.text)
async def typed_summary(message: Message, ctx: VisitCtx, draft: VisitDraft) -> None:
    text = message.text.strip()
    minimum = ctx.policy.visit.min_summary_chars
    if problem := summary_problem(text, minimum):
        length = summary_length(text) if problem == "summary_short" else len(text)
        await message.answer(ctx.t(f"visit.{problem}", min=minimum, max=MAX_SUMMARY, length=length))
        return
    draft.summary = text
    await ask_next(message, ctx, draft)


@router.callback_query(kb.VisitAction.filter(F.a == "edit"))
async def edit(query: CallbackQuery, ctx: VisitCtx, draft: VisitDraft) -> None:
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=kb.edit_fields(ctx.t, draft.key, draft.mode == "on_site"))


@router.callback_query(kb.VisitAction.filter(F.a == "back"))
async def back_to_card(query: CallbackQuery, ctx: VisitCtx, draft: VisitDraft) -> None:
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=kb.card(ctx.t, draft.key))


@router.callback_query(kb.VisitAction.filter(F.a == "field"))
async def edit_field(query: CallbackQuery, callback_data: kb.VisitAction, ctx: VisitCtx, draft: VisitDraft) -> None:
    try:
        step = Step(callback_data.v)
    except ValueError:
        await query.answer(ctx.t("visit.stale_button"), show_alert=True)
        return
    draft.clear(step)
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)  # this card is spent; a new one follows
    await ask_next(query.message, ctx, draft)


@router.callback_query(kb.VisitAction.filter(F.a == "ok"))
async def confirm(query: CallbackQuery, ctx: VisitCtx, draft: VisitDraft) -> None:
    on_card = query.message is not None and query.message.message_id == draft.card_message_id
    if await ctx.state.get_state() != VisitForm.confirm.state or not on_card:  # a card from before an edit
        await query.answer(ctx.t("visit.card_outdated"), show_alert=True)
        return
    try:
        logged = await visits.log_visit(ctx.repos, ctx.clock, ctx.policy, ctx.zone, user_id=ctx.user_id,
                                        commissioner_id=ctx.commissioner_id, draft=draft)
    except visits.VisitError as exc:
        await query.answer(ctx.t(f"visit.error_{exc.reason}"), show_alert=True)
        return
    await ctx.state.clear()  # the replies below leave once this is committed (bot/replies.py)
    await query.answer(ctx.t("visit.saved_short"))
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(_result_text(ctx.t, ctx.policy, logged), reply_markup=kb.main_menu(ctx.t))


def _result_text(t: Translator, policy: Policy, logged: visits.Logged) -> str:
    p = logged.progress
    if logged.number < logged.year_total:  # a visit logged after later ones: its place is no news
        lines = [t("visit.saved_backfill", date=logged.visit.visit_date, total=logged.year_total)]
    elif p.services_target:
        lines = [t("visit.saved_target", number=logged.number, target=p.services_target)]
    else:
        lines = [t("visit.saved", number=logged.number)]
    lines.append(t(f"visit.status_{logged.visit.evidence_status}"))
    if suspicious := flags_summary(t, policy, logged.visit.flags):
        lines.append(suspicious)
    lines.append(t("visit.saved_footer"))
    return "\n".join(lines)


@router.message(StateFilter(*[STATE_OF[s] for s in (Step.ENTERPRISE, Step.KIND, Step.MODE, Step.CONFIRM)]))
@router.message(StateFilter(VisitForm.date, VisitForm.summary))
async def wrong_input(message: Message, ctx: VisitCtx) -> None:
    """Anything but the expected answer: say what is expected; the draft stays as it is."""
    step = Step((await ctx.state.get_state()).split(":")[1])
    await message.answer(ctx.t(f"visit.expect_{step.value}"))
