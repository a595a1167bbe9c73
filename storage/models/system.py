"""Tepai's own bookkeeping: audit log, processed updates, conversation state, outbox, scheduler lease."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class AuditEntry(Base):
    """Every change a person (or the CLI) makes to someone else's record."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(160))  # "user:<id>", "cli", "system"
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ProcessedUpdate(Base):
    """Update ids already handled: Telegram may deliver one update twice."""

    __tablename__ = "processed_updates"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(index=True)


class FsmRecord(Base):
    """Conversation state and drafts, kept in the database so they survive restarts."""

    __tablename__ = "fsm_records"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


class OutboxMessage(Base):
    """Every message Tepai starts goes through here, once: the key says what it is for whom."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # (kind, person, period): a job that runs twice, or a restart, finds the message already here.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    markup: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # inline keyboard, as Telegram JSON
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{path, name}]
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending sent failed unreachable
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]  # quiet hours and backoff move this
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # A sender claims a row before sending it: no other sender takes it until the claim lapses.
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None]
    # The text, then each document: how many of these parts Telegram has taken. A retry sends the rest.
    parts_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SchedulerLease(Base):
    """Only one scheduler may run: whoever holds an unexpired lease is it."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]


# A running count's key in the primary key at most this long: a key can join every agreement span
# of a commissioner, as many as they had, and a long key would overflow the column or PostgreSQL's
# limit for a btree entry (about 2700 bytes). A longer one is kept in `long_key`, its digest here.
RUNNING_KEY_CHARS = 100


class RunningCount(Base):
    """One running count behind the console's figures (storage/running_counts.py keeps them equal
    to a recount, in the transaction that changes what they count). `figure` says what is
    counted, `year` its year (0: none), `county` and `county2` whose it is (a visit: the
    enterprise's county and the commissioner's; '' for none), `key` the figure's own part (a
    month, a span of dates, a report period); one longer than RUNNING_KEY_CHARS is whole in
    `long_key` and `key` is its digest."""

    __tablename__ = "running_counts"

    figure: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    county: Mapped[str] = mapped_column(String(128), primary_key=True)
    county2: Mapped[str] = mapped_column(String(128), primary_key=True)
    key: Mapped[str] = mapped_column(String(RUNNING_KEY_CHARS), primary_key=True)
    long_key: Mapped[str | None] = mapped_column(Text)
    n: Mapped[int] = mapped_column(Integer, default=0)
