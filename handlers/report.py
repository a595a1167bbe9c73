"""/report: the bot drafts the period's report from what is stored; the commissioner keeps it,
replaces it with their own text, adds files, and submits. Recipients get it through the outbox."""
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
from domain.uploads import UploadRejected
from domain.visits import summary_length
from handlers.uploads import receive
from locales import Translator
from messages.outbox import evidence_document
from services import reports
from storage.evidence_store import EvidenceStore
from storage.repositories import Repos

if TYPE_CHECKING:  # names for annotations only: handlers do not touch the tables
    from storage.models import RoleGrant, User

router = Router(name="report")
router.message.filter(HasRole(Role.COMMISSIONER))
router.callback_query.filter(HasRole(Role.COMMISSIONER))

MAX_ATTACHMENTS = 5
DRAFT = "report"


class ReportForm(StatesGroup):
    review = State()


class ReportAction(CallbackData, prefix="rp"):
    a: str  # pick, send, cancel
    c: str = ""  # cycle key
    p: str = ""  # period key


def _commissioner(grants: list[RoleGrant]) -> int:
    return next(g.commissioner_id for g in grants if g.role == Role.COMMISSIONER)


def _today(clock: Clock, zone: ZoneInfo):  # noqa: ANN202 - date
    return local_today(clock, zone)


def _buttons(*rows: list[tuple[str, ReportAction]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=text, callback_data=data.pack())
                                                  for text, data in row] for row in rows])


@router.message(Command("report"))
async def start(message: Message, repos: Repos, grants: list[RoleGrant], policy: Policy, clock: Clock,
                zone: ZoneInfo, state: FSMContext, t: Translator) -> None:
    owed = await reports.owed(repos, policy, _commissioner(grants), _today(clock, zone))
    if not owed:
        await message.answer(t("report.none"))
        return
    if len(owed) == 1:
        await _begin(message, repos, policy, grants, state, t, owed[0])
        return
    rows = [[(reports.period_label(t, o.cycle, o.period), ReportAction(a="pick", c=o.cycle.key, p=o.period.key))]
            for o in owed]
    await message.answer(t("report.choose"), reply_markup=_buttons(*rows))


async def _find(repos: Repos, policy: Policy, grants: list[RoleGrant], clock: Clock, zone: ZoneInfo,
                cycle: str, period: str) -> reports.Owed | None:
    owed = await reports.owed(repos, policy, _commissioner(grants), _today(clock, zone))
    return next((o for o in owed if o.cycle.key == cycle and o.period.key == period), None)


@router.callback_query(ReportAction.filter(F.a == "pick"))
async def picked(query: CallbackQuery, callback_data: ReportAction, repos: Repos, grants: list[RoleGrant],
                 policy: Policy, clock: Clock, zone: ZoneInfo, state: FSMContext, t: Translator) -> None:
    owed = await _find(repos, policy, grants, clock, zone, callback_data.c, callback_data.p)
    if owed is None:
        await query.answer(t("report.stale"), show_alert=True)
        return
    await query.answer()
    await _begin(query.message, repos, policy, grants, state, t, owed)


async def _begin(message: Message, repos: Repos, policy: Policy, grants: list[RoleGrant], state: FSMContext,
                 t: Translator, owed: reports.Owed) -> None:
    text = await reports.draft_text(repos, policy, t, _commissioner(grants), owed)
    await state.set_state(ReportForm.review)
    await state.set_data({DRAFT: {"cycle": owed.cycle.key, "period": owed.period.key, "text": text, "files": []}})
    await _preview(message, t, owed.cycle.key, owed.period.key, text, 0)


PREVIEW_CHARS = 3000  # the preview's own words need room too within Telegram's 4,096


async def _preview(message: Message, t: Translator, cycle: str, period: str, text: str, files: int) -> None:
    """The stored text is plain; the Translator escapes it into the HTML message."""
    shown = text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "\n" + t("report.preview_cut", n=len(text))
    await message.answer(t("report.preview", text=shown, files=files), reply_markup=_buttons(
        [(t("report.button_send"), ReportAction(a="send", c=cycle, p=period)),
         (t("report.button_cancel"), ReportAction(a="cancel", c=cycle, p=period))]))


@router.message(StateFilter(ReportForm.review), F.text)
async def replaced(message: Message, state: FSMContext, policy: Policy, t: Translator) -> None:
    draft = (await state.get_data())[DRAFT]
    if summary_length(message.text) < policy.visit.min_summary_chars:
        await message.answer(t("report.too_short", min=policy.visit.min_summary_chars))
        return
    draft["text"] = message.text.strip()
    await state.update_data({DRAFT: draft})
    await message.answer(t("report.replaced"))
    await _preview(message, t, draft["cycle"], draft["period"], draft["text"], len(draft["files"]))


@router.message(StateFilter(ReportForm.review), F.document | F.photo)
async def attached(message: Message, bot: Bot, repos: Repos, clock: Clock, evidence_store: EvidenceStore,
                   state: FSMContext, t: Translator) -> None:
    draft = (await state.get_data())[DRAFT]
    if len(draft["files"]) >= MAX_ATTACHMENTS:
        await message.answer(t("report.files_full", max=MAX_ATTACHMENTS))
        return
    try:
        stored = await receive(message, bot, evidence_store, repos, clock)
    except UploadRejected as exc:
        await message.answer(t(f"visit.upload_{exc.reason}"))
        return
    name = message.document.file_name if message.document else None
    draft["files"].append({"id": stored.id, "name": name or f"{stored.sha256[:8]}.{stored.ext}"})
    await state.update_data({DRAFT: draft})
    await message.answer(t("report.attached", count=len(draft["files"])))


@router.callback_query(ReportAction.filter(F.a == "send"))
async def send(query: CallbackQuery, callback_data: ReportAction, repos: Repos, user: User,
               grants: list[RoleGrant], policy: Policy, clock: Clock, zone: ZoneInfo,
               state: FSMContext, t: Translator) -> None:
    draft = (await state.get_data()).get(DRAFT)
    owed = await _find(repos, policy, grants, clock, zone, callback_data.c, callback_data.p)
    if draft is None or owed is None or (draft["cycle"], draft["period"]) != (callback_data.c, callback_data.p):
        await query.answer(t("report.stale"), show_alert=True)
        return
    stored = await repos.visits.files([f["id"] for f in draft["files"]])
    documents = tuple(evidence_document(row.sha256, row.ext, f["name"])
                      for f in draft["files"] if (row := stored.get(f["id"])) is not None)
    report = await reports.submit(repos, clock, policy, zone, commissioner_id=_commissioner(grants),
                                  user_id=user.id, owed_=owed, text=draft["text"],
                                  attachments=[{"file_id": f["id"], "name": f["name"]} for f in draft["files"]])
    count = await reports.deliver(repos, clock, policy, zone, owed.cycle, report, documents)
    await state.clear()
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    timing = t("report.late", days=(_today(clock, zone) - report.due_on).days) if report.late else t("report.on_time")
    key = "report.submitted" if count else "report.submitted_nobody"
    await query.message.answer(t(key, label=reports.period_label(t, owed.cycle, owed.period), timing=timing,
                                 count=count))


@router.callback_query(ReportAction.filter(F.a == "cancel"))
async def cancel(query: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await state.clear()
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(t("report.cancelled"))


@router.message(StateFilter(ReportForm.review))
async def other(message: Message, t: Translator) -> None:
    await message.answer(t("report.expect"))
