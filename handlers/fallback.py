"""Last router: refusals for role-gated commands, unknown commands, stale buttons."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.commands import GATED
from handlers.texts import join
from locales import Translator

router = Router(name="fallback")


@router.message(Command(*GATED))
async def refuse(message: Message, t: Translator) -> None:
    command = (message.text or "").split()[0].lstrip("/").split("@")[0]
    allowed = join(t, (t(f"roles.{r.value}") for r in sorted(GATED[command])))
    await message.answer(t("access.denied", command=command, roles=allowed))


@router.message(F.text.startswith("/"))
async def unknown_command(message: Message, t: Translator) -> None:
    await message.answer(t("fallback.unknown_command"))


@router.message()
async def anything_else(message: Message, state: FSMContext, t: Translator) -> None:
    await message.answer(t("fallback.hint"))


@router.callback_query()
async def stale_button(query: CallbackQuery, t: Translator) -> None:
    await query.answer(t("fallback.stale_button"), show_alert=True)
