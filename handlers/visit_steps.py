"""The visit conversation's shared parts: the draft in FSM data, asking the next question, and
the summary card. Used by the routers in visit.py and visit_evidence.py."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aiogram import BaseMiddleware, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.filters import HasRole
from bot.replies import now
from domain.clock import Clock, local_today
from domain.evidence import Status, notes
from domain.policy import Policy
from domain.roles import Role
from domain.visits import Mode, Step, VisitDraft
from handlers.texts import join
from keyboards import visit as kb
from locales import Translator, when
from services import visits
from services.dossier_rows import location_text
from storage.fsm import DatabaseStorage
from storage.repositories import Repos

if TYPE_CHECKING:  # names for annotations only: handlers do not touch the tables
    from storage.models import Agreement

DRAFT = "visit"


class VisitForm(StatesGroup):
    enterprise = State()
    kind = State()
    mode = State()
    date = State()
    summary = State()
    files = State()
    location = State()
    confirm = State()


STATE_OF = {step: getattr(VisitForm, step.value) for step in Step}


@dataclass
class VisitCtx:
    """What every step needs, taken from the handler data the middlewares filled in."""

    repos: Repos
    policy: Policy
    clock: Clock
    zone: ZoneInfo
    t: Translator
    state: FSMContext
    user_id: int
    commissioner_id: int

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "VisitCtx":
        commissioner_id = next(g.commissioner_id for g in data["grants"] if g.role == "commissioner")
        return cls(data["repos"], data["policy"], data["clock"], data["zone"], data["t"], data["state"],
                   data["user"].id, commissioner_id)

    @property
    def today(self) -> date:
        return local_today(self.clock, self.zone)

    async def draft(self) -> VisitDraft | None:
        raw = (await self.state.get_data()).get(DRAFT)
        return VisitDraft.from_dict(raw) if raw else None

    async def save(self, draft: VisitDraft, state: State | None = None) -> None:
        """Keep the draft (and, if given, the new step) in one write."""
        data = {**await self.state.get_data(), DRAFT: draft.to_dict()}
        storage = self.state.storage
        if state is not None and isinstance(storage, DatabaseStorage):
            await storage.set_record(self.state.key, state, data)
            return
        if state is not None:
            await self.state.set_state(state)
        await self.state.set_data(data)

    async def active_agreements(self) -> list[Agreement]:
        return await self.repos.people.agreements_in_force(self.commissioner_id, self.today)


class VisitContext(BaseMiddleware):
    """Puts `ctx` and the current `draft` in the handler data of the visit routers.

    For a button of the conversation (VisitAction) it also checks the button belongs to the
    current draft; a stale one is answered here and never reaches a handler.
    """

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        ctx = VisitCtx.from_data(data)
        draft = await ctx.draft()
        action = data.get("callback_data")
        if isinstance(event, CallbackQuery) and isinstance(action, kb.VisitAction):
            if draft is None or draft.key != action.d:
                stored = await ctx.repos.visits.by_draft_key(action.d)
                await event.answer(ctx.t("visit.already_logged" if stored else "visit.stale_button"),
                                   show_alert=True)
                return None
        data["ctx"], data["draft"] = ctx, draft
        return await handler(event, data)


def visit_router(name: str) -> Router:
    """A router of the visit conversation: commissioners only, with `ctx` and `draft` in data."""
    router = Router(name=name)
    for observer in (router.message, router.callback_query):
        observer.filter(HasRole(Role.COMMISSIONER))
        observer.middleware(VisitContext())
    return router


async def ask_next(message: Message, ctx: VisitCtx, draft: VisitDraft) -> None:
    """Ask whatever the draft still lacks; with nothing missing, show the summary card."""
    step = draft.next_step()
    t = ctx.t
    if step is Step.ENTERPRISE:
        await message.answer(t("visit.ask_enterprise"),
                             reply_markup=kb.enterprises(t, draft.key, await ctx.active_agreements()))
    elif step is Step.KIND:
        await message.answer(t("visit.ask_kind", enterprise=draft.enterprise_name),
                             reply_markup=kb.kinds(t, draft.key, ctx.policy))
    elif step is Step.MODE:
        await message.answer(t("visit.ask_mode"), reply_markup=kb.modes(t, draft.key))
    elif step is Step.DATE:
        await message.answer(t("visit.ask_date", days=ctx.policy.visit.max_backdate_days),
                             reply_markup=kb.dates(t, draft.key, date_choices(t, ctx.today)))
    elif step is Step.SUMMARY:
        await message.answer(t("visit.ask_summary", min=ctx.policy.visit.min_summary_chars))
    elif step is Step.FILES:
        key = "visit.ask_files_on_site" if draft.mode == Mode.ON_SITE else "visit.ask_files_online"
        await message.answer(t(key, max=ctx.policy.visit.max_photos))
    elif step is Step.LOCATION:
        await message.answer(t("visit.ask_location"), reply_markup=kb.location_request(t))
    else:
        await show_card(message, ctx, draft)
    await ctx.save(draft, STATE_OF[step])


def date_choices(t: Translator, today: date) -> list[tuple[str, str]]:
    labels = [t("visit.today"), t("visit.yesterday"), t("visit.day_before")]
    days = [today - timedelta(days=i) for i in range(len(labels))]
    return [(f"{label} {when.day(d, t.lang, year=False)}", d.isoformat()) for label, d in zip(labels, days)]


async def show_card(message: Message, ctx: VisitCtx, draft: VisitDraft) -> None:
    """Send the summary card; the caller saves the draft, which remembers the card's message (so it
    is sent at once: the steps that reach it write nothing before it)."""
    result = await visits.evaluate(ctx.repos, ctx.policy, draft, ctx.today)
    sent = await now(message.answer(card_text(ctx, draft, result), reply_markup=kb.card(ctx.t, draft.key)))
    draft.card_message_id = sent.message_id


def card_text(ctx: VisitCtx, draft: VisitDraft, result: visits.Evaluation) -> str:
    t, policy = ctx.t, ctx.policy
    kind = next((k.text(t.lang) for k in policy.service_kinds if k.key == draft.kind), draft.kind)
    documents = len(draft.files) - draft.images
    lines = [
        t("visit.card_title"),
        t("visit.card_enterprise", enterprise=draft.enterprise_name),
        t("visit.card_kind", kind=kind),
        t("visit.card_mode", mode=t(f"visit.mode_{draft.mode}")),
        t("visit.card_date", date=date.fromisoformat(draft.visit_date)),
        t("visit.card_summary", summary=draft.summary),
        t("visit.card_files", images=draft.images, documents=documents),
        location_line(t, draft, result.distance_m),
        t(f"visit.status_{result.status.value}"),
    ]
    lines += [f"  • {flag_text(t, hit.flag.value, hit.detail)}" for hit in result.hits]
    return "\n".join(lines)


def location_line(t: Translator, draft: VisitDraft, distance: float | None) -> str:
    if draft.mode == Mode.ONLINE:
        return t("visit.card_location_online")
    if draft.location is None:
        return t("visit.card_location_none")
    source = location_text(t, bool(draft.location.get("live")), draft.location.get("accuracy"))
    if distance is None:
        return t("visit.card_location_unchecked", source=source)
    return t("visit.card_location", distance=round(distance), source=source)


def flag_text(t: Translator, flag: str, detail: dict) -> str:
    values = {k: v for k, v in detail.items() if k != "flag"}
    if isinstance(values.get("taken"), str):  # stored as ISO text in the visit's flags
        values["taken"] = datetime.fromisoformat(values["taken"])
    return t(f"visit.flag_{flag}", **values)


def flags_summary(t: Translator, policy: Policy, flags: list[dict]) -> str:
    informative = notes(policy.visit.pin_is_evidence)
    suspicious = [f for f in flags if f["flag"] not in informative]
    return join(t, (flag_text(t, f["flag"], f) for f in suspicious))


def status_icon(status: str) -> str:
    return {Status.VERIFIED: "✅", Status.NOTED: "ℹ️", Status.FLAGGED: "⚠️"}.get(Status(status), "")
