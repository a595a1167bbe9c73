"""/need: an enterprise's contact files a technical need (技术需求): enterprise (when they speak for
several) → field → problem → help expected → urgency → files (optional) → summary card → submit,
edit a part, or cancel. /needs: the contact's own needs, each open one with a button to withdraw it.

The draft lives in the FSM data (kept in the database); every button carries the draft's key, so a
button of an earlier draft is stale."""
from __future__ import annotations

import secrets
from typing import Any, TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import Command, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.filters import NOT_COMMAND, TYPED, HasRole
from keyboards import needs as kb
from domain import needs as rules
from domain.clock import Clock
from domain.policy import Policy
from domain.roles import Role
from domain.selection import URGENCIES
from handlers.uploads import fetch, show_count, upload_of
from locales import Translator
from messages.needs import need_line, urgency_text
from services import needs as service
from services.visits import record_upload
from storage.evidence_store import MAX_BYTES, EvidenceStore, UploadRejected
from storage.repositories import Repos

if TYPE_CHECKING:  # names for annotations only: handlers do not touch the tables
    from storage.models import RoleGrant, User

router = Router(name="need")
router.message.filter(HasRole(Role.ENTERPRISE, Role.BUREAU))
router.callback_query.filter(HasRole(Role.ENTERPRISE, Role.BUREAU))

DONE_TEXTS = {"完成", "跳过", "done", "skip", "Done", "Skip", "好了", "没有"}
MB = MAX_BYTES // (1024 * 1024)


class NeedForm(StatesGroup):
    enterprise = State()
    field = State()
    description = State()
    help = State()
    urgency = State()
    files = State()
    confirm = State()


STATE_OF: dict[str, State] = {"field": NeedForm.field, "description": NeedForm.description, "help": NeedForm.help,
                              "urgency": NeedForm.urgency, "files": NeedForm.files}
PART_OF: dict[str, str] = {s.state: part for part, s in STATE_OF.items()}


async def _draft(state: FSMContext) -> dict[str, Any]:
    return dict((await state.get_data()).get("need", {}))


async def _keep(state: FSMContext, step: State, draft: dict[str, Any]) -> None:
    await state.set_state(step)
    await state.set_data({"need": draft})


class SameDraft(Filter):
    """The button belongs to the draft in hand; passes the draft on as `draft`."""

    async def __call__(self, query: CallbackQuery, state: FSMContext, callback_data: kb.NeedStep,
                       **_: Any) -> bool | dict[str, Any]:
        draft = await _draft(state)
        return {"draft": draft} if draft.get("key") == callback_data.k else False


async def _ask_next(message: Message, state: FSMContext, t: Translator, draft: dict[str, Any]) -> None:
    step = rules.next_step(draft)
    if step is None:
        await _keep(state, NeedForm.confirm, draft)
        await message.answer(_summary(t, draft), reply_markup=kb.card(t, draft["key"]))
        return
    if step == "files":
        draft["files_msg"] = None
    await _keep(state, STATE_OF[step], draft)
    if step in rules.LIMITS:
        low, high = rules.LIMITS[step]
        await message.answer(t(f"need.ask_{step}", enterprise=draft["enterprise_name"], min=low, max=high))
    elif step == "urgency":
        await message.answer(t("need.ask_urgency"), reply_markup=kb.urgency(t, draft["key"]))
    else:
        await message.answer(t("need.ask_files", max=rules.MAX_FILES, mb=MB),
                             reply_markup=kb.files_done(t, draft["key"], len(draft["files"])))


def _summary(t: Translator, draft: dict[str, Any]) -> str:
    return t("need.summary", enterprise=draft["enterprise_name"], field=draft["field"],
             urgency=urgency_text(t, draft["urgency"]), description=draft["description"], expected=draft["help"],
             files=len(draft["files"]))


@router.message(Command("need"), HasRole(Role.ENTERPRISE))
async def start(message: Message, state: FSMContext, repos: Repos, grants: list[RoleGrant], t: Translator) -> None:
    enterprises = await service.contact_enterprises(repos, grants)
    if not enterprises:
        await state.clear()
        await message.answer(t("need.no_enterprise"))
        return
    draft: dict[str, Any] = {"key": secrets.token_hex(4), "files": [], "files_done": False}
    if len(enterprises) == 1:
        draft["enterprise"], draft["enterprise_name"] = enterprises[0].id, enterprises[0].name
        await _ask_next(message, state, t, draft)
        return
    await _keep(state, NeedForm.enterprise, draft)
    await message.answer(t("need.ask_enterprise"),
                         reply_markup=kb.enterprises(draft["key"], [(e.id, e.name) for e in enterprises]))


@router.callback_query(StateFilter(NeedForm.enterprise), kb.NeedStep.filter(F.a == "ent"), SameDraft())
async def chose_enterprise(query: CallbackQuery, callback_data: kb.NeedStep, draft: dict[str, Any],
                           state: FSMContext, repos: Repos, grants: list[RoleGrant], t: Translator) -> None:
    enterprise = next((e for e in await service.contact_enterprises(repos, grants) if str(e.id) == callback_data.v),
                      None)
    if enterprise is None:
        await query.answer(t("need.error_not_contact"), show_alert=True)
        return
    await query.answer()
    draft["enterprise"], draft["enterprise_name"] = enterprise.id, enterprise.name
    await _ask_next(query.message, state, t, draft)


@router.message(StateFilter(NeedForm.field, NeedForm.description, NeedForm.help), TYPED)
async def typed(message: Message, state: FSMContext, t: Translator) -> None:
    part = PART_OF[await state.get_state()]
    problem = rules.text_problem(part, message.text)
    if problem is not None:
        low, high = rules.LIMITS[part]
        await message.answer(t(f"need.error_{problem}", part=t(f"need.part.{part}"), min=low, max=high,
                               size=len(rules.clean(message.text))))
        return
    draft = await _draft(state)
    draft[part] = rules.clean(message.text)
    await _ask_next(message, state, t, draft)


@router.callback_query(StateFilter(NeedForm.urgency), kb.NeedStep.filter(F.a == "urg"), SameDraft())
async def chose_urgency(query: CallbackQuery, callback_data: kb.NeedStep, draft: dict[str, Any],
                        state: FSMContext, t: Translator) -> None:
    if callback_data.v not in URGENCIES:
        await query.answer(t("need.expect_button"), show_alert=True)
        return
    await query.answer()
    draft["urgency"] = callback_data.v
    await _ask_next(query.message, state, t, draft)


@router.message(StateFilter(NeedForm.files), F.photo | F.document)
async def got_file(message: Message, bot: Bot, state: FSMContext, repos: Repos, clock: Clock,
                   evidence_store: EvidenceStore, t: Translator) -> None:
    draft = await _draft(state)
    files: list[dict[str, Any]] = draft["files"]
    item, _, _ = upload_of(message)
    if any(f["uid"] == item.file_unique_id for f in files):
        await message.answer(t("need.file_again"))
        return
    if rules.files_full(len(files)):
        await message.answer(t("need.files_full", max=rules.MAX_FILES))
        return
    try:
        kept = await fetch(message, bot, evidence_store)  # download and decode: nothing written yet
    except UploadRejected as exc:
        await message.answer(t(f"need.upload_{exc.reason}", mb=MB))
        return
    text = t("need.files_received", count=len(files) + 1, max=rules.MAX_FILES)
    draft["files_msg"] = await show_count(message, bot, text, kb.files_done(t, draft["key"], len(files) + 1),
                                          draft.get("files_msg"))  # sent now, so before any write
    stored = await record_upload(repos, clock, kept)
    files.append({"id": stored.id, "uid": item.file_unique_id, "kind": stored.kind})
    await _keep(state, NeedForm.files, draft)


@router.callback_query(StateFilter(NeedForm.files), kb.NeedStep.filter(F.a == "files"), SameDraft())
async def pressed_files_done(query: CallbackQuery, draft: dict[str, Any], state: FSMContext, t: Translator) -> None:
    await query.answer()
    draft["files_done"] = True
    await _ask_next(query.message, state, t, draft)


@router.message(StateFilter(NeedForm.files), F.text.in_(DONE_TEXTS))
async def typed_files_done(message: Message, state: FSMContext, t: Translator) -> None:
    draft = await _draft(state)
    draft["files_done"] = True
    await _ask_next(message, state, t, draft)


@router.callback_query(StateFilter(NeedForm.confirm), kb.NeedStep.filter(F.a == "submit"), SameDraft())
async def submit(query: CallbackQuery, draft: dict[str, Any], state: FSMContext, repos: Repos, clock: Clock,
                 policy: Policy, zone: ZoneInfo, user: User, grants: list[RoleGrant], t: Translator) -> None:
    await state.clear()  # committed with the need: a second tap finds no draft
    try:
        need = await service.file_need(repos, clock, policy, zone, user=user, grants=grants,
                                       enterprise_id=draft["enterprise"], field=draft["field"],
                                       description=draft["description"], expected_help=draft["help"],
                                       urgency=draft["urgency"], file_ids=[f["id"] for f in draft["files"]])
    except service.NeedError as exc:
        await query.answer()
        await query.message.answer(t.or_else(f"need.error_{exc.reason}", t("need.error_invalid")))
        return
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(t("need.filed", id=need.id))


@router.callback_query(StateFilter(NeedForm.confirm), kb.NeedStep.filter(F.a == "edit"), SameDraft())
async def edit(query: CallbackQuery, draft: dict[str, Any], t: Translator) -> None:
    await query.answer()
    await query.message.answer(t("need.ask_part"), reply_markup=kb.parts(t, draft["key"]))


@router.callback_query(StateFilter(NeedForm.confirm), kb.NeedStep.filter(F.a == "redo"), SameDraft())
async def redo(query: CallbackQuery, callback_data: kb.NeedStep, draft: dict[str, Any], state: FSMContext,
               t: Translator) -> None:
    if callback_data.v not in rules.EDITABLE:
        await query.answer(t("need.expect_button"), show_alert=True)
        return
    await query.answer()
    await _ask_next(query.message, state, t, rules.forget(draft, callback_data.v))


@router.callback_query(StateFilter(NeedForm), kb.NeedStep.filter(F.a == "cancel"), SameDraft())
async def cancel(query: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await state.clear()
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(t("need.cancelled"))


# --- the contact's own needs --------------------------------------------------------------------


@router.message(Command("needs"), HasRole(Role.ENTERPRISE))
async def own_needs(message: Message, repos: Repos, grants: list[RoleGrant], zone: ZoneInfo, t: Translator) -> None:
    needs = await service.own_needs(repos, grants)
    if not needs:
        await message.answer(t("need.list_none"))
        return
    lines = [t("need.list_title", count=len(needs))] + [need_line(t, n, zone) for n in needs]
    open_ids = [n.id for n in needs if n.status == rules.OPEN]
    if open_ids:
        lines += ["", t("need.list_hint")]
    await message.answer("\n".join(lines), reply_markup=kb.open_need_actions(t, open_ids))


@router.callback_query(kb.NeedClose.filter())
async def close(query: CallbackQuery, callback_data: kb.NeedClose, repos: Repos, clock: Clock, user: User,
                grants: list[RoleGrant], t: Translator) -> None:
    try:
        need = await service.close_need(repos, clock, user=user, grants=grants, need_id=callback_data.n)
    except service.NeedError as exc:
        await query.answer(t(f"need.error_{exc.reason}"), show_alert=True)
        return
    await query.answer()
    await query.message.answer(t("need.closed", id=need.id))


# --- anything else while a draft is open: say what is expected ----------------------------------


@router.message(StateFilter(NeedForm.enterprise, NeedForm.urgency), NOT_COMMAND)
async def expect_button(message: Message, t: Translator) -> None:
    await message.answer(t("need.expect_button"))


@router.message(StateFilter(NeedForm.field, NeedForm.description, NeedForm.help), NOT_COMMAND)
async def expect_text(message: Message, t: Translator) -> None:
    await message.answer(t("need.expect_text"))


@router.message(StateFilter(NeedForm.files), NOT_COMMAND)
async def expect_files(message: Message, t: Translator) -> None:
    await message.answer(t("need.expect_files"))


@router.message(StateFilter(NeedForm.confirm), NOT_COMMAND)
async def expect_confirm(message: Message, t: Translator) -> None:
    await message.answer(t("need.expect_confirm"))
