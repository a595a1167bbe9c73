"""The enterprise's contact answers: 属实 / 不属实 for each visit, a rating, a comment, surveys."""
from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.filters import HasRole
from domain.clock import Clock
from domain.policy import Policy
from domain.roles import Role
from keyboards import feedback as kb
from locales import Translator
from messages.feedback import survey_question
from services import feedback, surveys
from services.feedback import FeedbackError, Responder
from storage.repositories import Repos

if TYPE_CHECKING:  # names for annotations only: handlers do not touch the tables
    from storage.models import RoleGrant, User

router = Router(name="feedback")
router.message.filter(HasRole(Role.ENTERPRISE))
router.callback_query.filter(HasRole(Role.ENTERPRISE))


class FeedbackForm(StatesGroup):
    dispute_reason = State()
    comment = State()
    survey_comment = State()


async def _refuse(query: CallbackQuery, t: Translator, exc: FeedbackError) -> None:
    await query.answer(t(f"feedback.error_{exc.reason}"), show_alert=True)


def _under(query: CallbackQuery, line: str) -> str:
    """The prompt's text with the answer appended (the prompt stays readable in the chat)."""
    return f"{query.message.html_text if query.message and query.message.text else ''}\n\n{line}"


@router.callback_query(kb.FeedbackAction.filter(F.a == "ok"))
async def confirmed(query: CallbackQuery, callback_data: kb.FeedbackAction, repos: Repos, clock: Clock,
                    user: User, grants: list[RoleGrant], t: Translator) -> None:
    try:
        await feedback.confirm(repos, clock, visit_id=callback_data.v, responder=Responder.contact(user.id, grants))
    except FeedbackError as exc:
        await _refuse(query, t, exc)
        return
    await query.answer(t("feedback.thanks"))
    await query.message.edit_text(_under(query, t("feedback.confirmed_rate")), reply_markup=kb.stars(callback_data.v))


@router.callback_query(kb.FeedbackAction.filter(F.a == "no"))
async def disputing(query: CallbackQuery, callback_data: kb.FeedbackAction, repos: Repos, user: User,
                    grants: list[RoleGrant], state: FSMContext, t: Translator) -> None:
    try:
        await feedback.check_open(repos, visit_id=callback_data.v, responder=Responder.contact(user.id, grants))
    except FeedbackError as exc:
        await _refuse(query, t, exc)
        return
    await state.set_state(FeedbackForm.dispute_reason)
    await state.update_data(feedback_visit=callback_data.v)
    await query.answer()
    await query.message.answer(t("feedback.ask_reason"))


@router.message(StateFilter(FeedbackForm.dispute_reason), F.text)
async def dispute_reason(message: Message, repos: Repos, clock: Clock, user: User, grants: list[RoleGrant],
                         state: FSMContext, policy: Policy, zone: ZoneInfo, t: Translator) -> None:
    visit_id = (await state.get_data()).get("feedback_visit")
    try:
        await feedback.dispute(repos, clock, policy, zone, visit_id=visit_id,
                               responder=Responder.contact(user.id, grants), reason=message.text)
    except FeedbackError as exc:
        await state.clear()
        await message.answer(t(f"feedback.error_{exc.reason}"))
        return
    await state.clear()
    await message.answer(t("feedback.disputed"))


@router.callback_query(kb.FeedbackAction.filter(F.a == "rate"))
async def rated(query: CallbackQuery, callback_data: kb.FeedbackAction, repos: Repos, clock: Clock, user: User,
                grants: list[RoleGrant], state: FSMContext, policy: Policy, t: Translator) -> None:
    try:
        row, changed = await feedback.rate(repos, clock, policy, visit_id=callback_data.v,
                                           responder=Responder.contact(user.id, grants), score=callback_data.n)
    except FeedbackError as exc:
        await _refuse(query, t, exc)
        return
    if changed:
        await query.answer(t("feedback.rating_changed", n=row.rating), show_alert=True)
        return
    await query.answer(t("feedback.thanks"))
    await state.set_state(FeedbackForm.comment)
    await state.update_data(feedback_visit=callback_data.v)
    await query.message.edit_text(_under(query, t("feedback.rated_ask_comment", n=row.rating)),
                                  reply_markup=kb.skip_comment(t, callback_data.v))


@router.callback_query(kb.FeedbackAction.filter(F.a == "skip"))
async def no_comment(query: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await _done_without_comment(query, state, t, "feedback.done")


async def _done_without_comment(query: CallbackQuery, state: FSMContext, t: Translator, done: str) -> None:
    await state.clear()
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(t(done))


@router.message(StateFilter(FeedbackForm.comment, FeedbackForm.survey_comment), F.text)
async def commented(message: Message, repos: Repos, clock: Clock, user: User, grants: list[RoleGrant],
                    state: FSMContext, t: Translator) -> None:
    """A free-text comment: on a visit, after its rating, or at the end of a survey."""
    on_survey = await state.get_state() == FeedbackForm.survey_comment.state
    data = await state.get_data()
    await state.clear()
    responder = Responder.contact(user.id, grants)
    try:
        if on_survey:
            await surveys.finish(repos, clock, survey_id=data.get("feedback_survey"), responder=responder,
                                 comment=message.text)
        else:
            await feedback.comment(repos, clock, visit_id=data.get("feedback_visit"), responder=responder,
                                   text=message.text)
    except FeedbackError as exc:
        await message.answer(t(f"feedback.error_{exc.reason}"))
        return
    await message.answer(t("feedback.survey_done" if on_survey else "feedback.done"))


@router.callback_query(kb.SurveyAction.filter(F.q >= 0))
async def survey_answer(query: CallbackQuery, callback_data: kb.SurveyAction, repos: Repos,
                        clock: Clock, user: User, grants: list[RoleGrant], state: FSMContext, policy: Policy,
                        t: Translator) -> None:
    try:
        survey, next_index = await surveys.answer(repos, clock, policy, survey_id=callback_data.s,
                                                  index=callback_data.q, score=callback_data.n,
                                                  responder=Responder.contact(user.id, grants))
    except FeedbackError as exc:
        await _refuse(query, t, exc)
        return
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    if next_index is not None:
        text, markup = survey_question(t, policy, survey, next_index)
        await query.message.answer(text, reply_markup=markup)
        return
    await state.set_state(FeedbackForm.survey_comment)
    await state.update_data(feedback_survey=survey.id)
    await query.message.answer(t("feedback.survey_comment"), reply_markup=kb.survey_skip(t, survey.id))


@router.callback_query(kb.SurveyAction.filter(F.q == -1))
async def survey_no_comment(query: CallbackQuery, callback_data: kb.SurveyAction, repos: Repos, clock: Clock,
                            user: User, grants: list[RoleGrant], state: FSMContext, t: Translator) -> None:
    try:
        await surveys.finish(repos, clock, survey_id=callback_data.s, responder=Responder.contact(user.id, grants),
                             comment=None)
    except FeedbackError as exc:
        await _refuse(query, t, exc)
        return
    await _done_without_comment(query, state, t, "feedback.survey_done")


@router.message(StateFilter(FeedbackForm.dispute_reason, FeedbackForm.comment, FeedbackForm.survey_comment))
async def expect_text(message: Message, t: Translator) -> None:
    await message.answer(t("feedback.expect_text"))
