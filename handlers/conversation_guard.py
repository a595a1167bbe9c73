"""A command typed in the middle of a conversation is a command, never the conversation's text.

Some commands work at any time (their routers answer them): /cancel, /help, /start, /lang, and
/me, which only reads. The command that began the conversation runs too: its handler offers to
resume the draft or shows it again. Any other command while a conversation waits for input is
answered "finish or /cancel first", and the conversation and its draft stay as they were.
"""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Filter, StateFilter
from aiogram.fsm.state import StatesGroup
from aiogram.types import Message

from handlers.change import ChangeForm
from handlers.need import NeedForm
from handlers.outcome import OutcomeForm
from handlers.profile import ProfileForm
from handlers.report import ReportForm
from handlers.visit_steps import VisitForm
from locales import Translator

router = Router(name="conversation_guard")

ANY_TIME = frozenset({"cancel", "help", "start", "lang", "me"})
BEGUN_BY: dict[type[StatesGroup], str] = {
    VisitForm: "visit", ReportForm: "report", NeedForm: "need", OutcomeForm: "outcome",
    ChangeForm: "change", ProfileForm: "profile",
}
_COMMAND_OF_GROUP = {group.__full_group_name__: command for group, command in BEGUN_BY.items()}


def command_name(text: str) -> str:
    """'/Visit@tepai_bot 12' -> 'visit'."""
    return text.split(maxsplit=1)[0][1:].split("@", 1)[0].lower()


class OutOfTurnCommand(Filter):
    """A command that must wait until the open conversation is finished or cancelled."""

    async def __call__(self, message: Message, raw_state: str | None = None) -> bool:
        if raw_state is None or not (message.text or "").startswith("/"):
            return False
        command = command_name(message.text)
        return command not in ANY_TIME and command != _COMMAND_OF_GROUP.get(raw_state.split(":", 1)[0])


@router.message(~StateFilter(None), F.text, OutOfTurnCommand())
async def finish_first(message: Message, t: Translator) -> None:
    await message.answer(t("conversation.finish_first"))
