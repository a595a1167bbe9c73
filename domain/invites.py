"""Invite tokens: random, URL-safe, short enough for a deep link, stored only as a hash."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from datetime import datetime, timedelta

# 24 random bytes = 192 bits, 32 URL-safe characters: well above the 128-bit floor and well
# under Telegram's 64-character deep-link limit.
TOKEN_BYTES = 24
DEEP_LINK_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
DEFAULT_INVITE_DAYS = 14


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def looks_like_token(payload: str) -> bool:
    return DEEP_LINK_PAYLOAD.fullmatch(payload) is not None


def deep_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={token}"


class InviteProblem(StrEnum):
    """Why an invite cannot be used; each has a message in the catalogues (start.invite_<value>)."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
    CONFLICT = "conflict"  # the account would answer for those it oversees (domain.roles.conflicts)


@dataclass(frozen=True)
class InviteState:
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


def invite_problem(state: InviteState | None, now: datetime) -> InviteProblem | None:
    if state is None:
        return InviteProblem.UNKNOWN
    if state.revoked_at is not None:
        return InviteProblem.REVOKED
    if state.used_at is not None:
        return InviteProblem.USED
    if now >= state.expires_at:
        return InviteProblem.EXPIRED
    return None


def expiry(now: datetime, days: int = DEFAULT_INVITE_DAYS) -> datetime:
    if days < 1:
        raise ValueError("an invite must be valid for at least one day")
    return now + timedelta(days=days)
