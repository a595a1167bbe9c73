"""Enqueue a notification: one row per (kind, person, period) key, sent later by the sender.

Enqueuing inside the transaction that caused it means a message exists exactly when its cause
was stored; the key means a job that runs twice, or a restart, never queues it twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from domain.clock import Clock
from domain.policy import Policy
from domain.quiet import next_allowed, parse_hhmm
from storage.models import OutboxMessage, User
from storage.repositories import Repos
from storage.repositories._upsert import dialect_insert


@dataclass(frozen=True)
class Outgoing:
    key: str
    user: User
    text: str
    markup: dict | None = None  # an inline keyboard as Telegram JSON
    documents: tuple[dict, ...] = ()  # evidence {"sha256", "ext", "name"} or a made file {"path", "name"}


def evidence_document(sha256: str, ext: str, name: str) -> dict:
    """How a message names an evidence file among its documents: by content address, read
    through the evidence store by whichever process sends it (scheduler.attachments)."""
    return {"sha256": sha256, "ext": ext, "name": name}


def first_send_time(now: datetime, policy: Policy, zone: ZoneInfo) -> datetime:
    rules = policy.notifications
    local = next_allowed(now.astimezone(zone), parse_hhmm(rules.quiet_start), parse_hhmm(rules.quiet_end))
    return local.astimezone(now.tzinfo)


async def enqueue(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo, message: Outgoing) -> bool:
    """True if queued now; False if a message with this key exists already."""
    now = clock.now()
    stmt = dialect_insert(repos.session, OutboxMessage).values(
        key=message.key[:200], user_id=message.user.id, chat_id=message.user.telegram_id, text=message.text,
        markup=message.markup, documents=list(message.documents), status="pending", attempts=0,
        next_attempt_at=first_send_time(now, policy, zone), created_at=now,
    ).on_conflict_do_nothing(index_elements=[OutboxMessage.key])
    result = await repos.session.execute(stmt)
    return result.rowcount == 1


async def pending_count(repos: Repos) -> int:
    rows = await repos.session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "pending"))
    return len(rows.all())
