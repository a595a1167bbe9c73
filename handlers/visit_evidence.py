"""The visit's evidence steps: photos and files (one by one or as an album), then the location."""
from __future__ import annotations

from aiogram import Bot, F
from aiogram.filters import StateFilter
from aiogram.types import CallbackQuery, Message

from keyboards import visit as kb
from domain.visits import VisitDraft
from handlers.visit_steps import VisitCtx, VisitForm, ask_next, visit_router
from locales import Translator
from handlers.uploads import fetch, show_count, upload_of
from services.visits import record_upload
from storage.evidence_store import EvidenceStore, UploadRejected

router = visit_router("visit_evidence")

DONE_TEXTS = {Translator(lang)("visit.done_word") for lang in ("zh", "en")} | {"ok", "OK", "好了", "完成了"}
NO_LOCATION_TEXTS = {Translator(lang)("visit.button_no_location") for lang in ("zh", "en")}


@router.message(StateFilter(VisitForm.files), F.photo | F.document)
async def got_file(message: Message, bot: Bot, evidence_store: EvidenceStore, ctx: VisitCtx,
                   draft: VisitDraft) -> None:
    t = ctx.t
    item, _, _ = upload_of(message)
    if any(f["uid"] == item.file_unique_id for f in draft.files):
        return  # the same file again in this draft (a re-sent album): nothing new to say
    if len(draft.files) >= ctx.policy.visit.max_photos:
        await message.answer(t("visit.files_full", max=ctx.policy.visit.max_photos))
        return
    try:
        kept = await fetch(message, bot, evidence_store)  # download and decode: nothing written yet
    except UploadRejected as exc:
        await message.answer(t(f"visit.upload_{exc.reason}"))
        return
    images = draft.images + (kept["kind"] == "image")
    draft.files_message_id = await show_count(  # sent now (its id is kept), so before any write
        message, bot, t("visit.files_received", count=len(draft.files) + 1, images=images),
        kb.files_done(t, draft.key), draft.files_message_id)
    stored = await record_upload(ctx.repos, ctx.clock, kept)
    draft.files.append({"id": stored.id, "uid": item.file_unique_id, "kind": stored.kind,
                        "source": "photo" if message.photo else "document",
                        "forwarded": message.forward_origin is not None})
    await ctx.save(draft)


async def _files_done(message: Message, ctx: VisitCtx, draft: VisitDraft) -> str | None:
    """Close the files step; the problem text if it cannot be closed yet."""
    if not draft.files_enough():
        return ctx.t("visit.files_needed_on_site" if draft.mode == "on_site" else "visit.files_needed_online")
    draft.files_done = True
    await ask_next(message, ctx, draft)
    return None


@router.callback_query(kb.VisitAction.filter(F.a == "files"))
async def pressed_done(query: CallbackQuery, ctx: VisitCtx, draft: VisitDraft) -> None:
    if await ctx.state.get_state() != VisitForm.files.state:  # files were closed already
        await query.answer(ctx.t("visit.stale_button"), show_alert=True)
        return
    problem = await _files_done(query.message, ctx, draft)
    await query.answer(problem or "", show_alert=bool(problem))


@router.message(StateFilter(VisitForm.files), F.text.in_(DONE_TEXTS))
async def typed_done(message: Message, ctx: VisitCtx, draft: VisitDraft) -> None:
    if problem := await _files_done(message, ctx, draft):
        await message.answer(problem)


@router.message(StateFilter(VisitForm.files))
async def not_a_file(message: Message, ctx: VisitCtx) -> None:
    await message.answer(ctx.t("visit.expect_files"))


@router.message(StateFilter(VisitForm.location), F.location)
async def got_location(message: Message, ctx: VisitCtx, draft: VisitDraft) -> None:
    if message.forward_origin is not None:
        await message.answer(ctx.t("visit.location_forwarded"), reply_markup=kb.location_request(ctx.t))
        return
    loc = message.location
    draft.location = {"lat": loc.latitude, "lon": loc.longitude, "accuracy": loc.horizontal_accuracy,
                      "live": loc.live_period is not None}
    await message.answer(ctx.t("visit.location_received"), reply_markup=kb.main_menu(ctx.t))
    await ask_next(message, ctx, draft)


@router.message(StateFilter(VisitForm.location), F.text.in_(NO_LOCATION_TEXTS))
async def no_location(message: Message, ctx: VisitCtx, draft: VisitDraft) -> None:
    draft.location_skipped = True
    await message.answer(ctx.t("visit.location_skipped"), reply_markup=kb.main_menu(ctx.t))
    await ask_next(message, ctx, draft)


@router.message(StateFilter(VisitForm.location))
async def not_a_location(message: Message, ctx: VisitCtx) -> None:
    await message.answer(ctx.t("visit.expect_location"), reply_markup=kb.location_request(ctx.t))
