"""Messages Tepai starts (not replies): rendered in each recipient's language and queued in the
outbox, in the caller's transaction. The sender (scheduler/sender.py) delivers them. Each
feature's messages are in its own module here (feedback, changes, needs, selection)."""
from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup

from domain.clock import Clock
from domain.policy import Policy
from locales import Translator
from messages.outbox import Outgoing, enqueue
from storage.models import RoleGrant, User
from storage.repositories import Repos


def markup_json(markup: InlineKeyboardMarkup | None) -> dict | None:
    return markup.model_dump(mode="json", exclude_none=True) if markup is not None else None


class Notices:
    """What every message needs: the recipient's translator and the outbox, in one transaction."""

    def __init__(self, repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo,
                 default_language: str = "zh") -> None:
        self.repos, self.clock, self.policy, self.zone = repos, clock, policy, zone
        self.default_language = default_language

    def t(self, user: User) -> Translator:
        return Translator(user.language or self.default_language, markup=True)

    async def queue(self, key: str, user: User, text: str, markup: InlineKeyboardMarkup | None = None,
                    documents: tuple[dict, ...] = ()) -> bool:
        return await enqueue(self.repos, self.clock, self.policy, self.zone,
                             Outgoing(key, user, text, markup_json(markup), documents))

    async def tell(self, key: str, user: User, text: Callable[[Translator], str],
                   buttons: Callable[[Translator], InlineKeyboardMarkup] | None = None) -> bool:
        """Queue a message rendered in `user`'s language: `text` (and `buttons`) given the Translator."""
        t = self.t(user)
        return await self.queue(key, user, text(t), buttons(t) if buttons is not None else None)

    def kind(self, t: Translator, key: str) -> str:
        return next((k.text(t.lang) for k in self.policy.service_kinds if k.key == key), key)

    async def missing_attachment(self, admin: User, recipient: User | None, message_id: int, file_name: str,
                                 text_delivered: bool) -> bool:
        """An outbox message cannot go out: a file it attaches is gone from the data directory."""
        t = self.t(admin)
        name = (recipient.full_name or str(recipient.telegram_id)) if recipient else "?"
        return await self.queue(f"missing-file:{message_id}:{admin.id}", admin, t(
            "outbox.missing_file", id=message_id, name=name, file=file_name,
            delivered=t("outbox.missing_file_text_sent" if text_delivered else "outbox.missing_file_nothing_sent")))

    async def role_moved(self, old: User, grant: RoleGrant) -> bool:
        """Tell the account a role was taken from: a new phone is fine, anyone else is not."""
        t = self.t(old)
        text = t("start.role_moved", subject=t(f"roles.{grant.role}_of", subject=grant.subject_name))
        return await self.queue(f"role-moved:{grant.id}", old, text)

    async def unreachable(self, admin: User, user: User) -> bool:
        """A county admin learns that a person blocked the bot (the sender got 403)."""
        t = self.t(admin)
        return await self.queue(f"unreachable:{user.id}:{admin.id}", admin,
                                t("outbox.unreachable", name=user.full_name or str(user.telegram_id)))
