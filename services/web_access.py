"""Signing in to the web console: one-time links, the sessions they open, signing out.

A link is made by `/web` in the chat or `tepai web-link`; opening it claims it with one
conditional UPDATE (two simultaneous opens: one session) and starts a session whose cookie
token, like the link's, is stored only as a hash.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from domain import invites
from domain.clock import Clock, as_utc
from domain.invites import InviteProblem, InviteState
from domain.web_access import LINK_VALID, Scope, session_idle
from locales import normalize
from storage.models import WebLink, WebSession
from storage.repositories import Repos

TOUCH_EVERY = timedelta(minutes=1)


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/signin/{token}"


async def create_link(repos: Repos, clock: Clock, scope: Scope, display_name: str, actor: str,
                      user_id: int | None = None) -> str:
    """A new sign-in link's token (shown once; only its hash is kept). Audited."""
    now = clock.now()
    token = invites.new_token()
    link = await repos.web.add_link(WebLink(
        token_hash=invites.hash_token(token), counties=scope.stored(), display_name=display_name, user_id=user_id,
        created_at=now, created_by=actor, expires_at=now + LINK_VALID))
    repos.audit.record(now, actor, "web.link", "web_link", link.id, counties=scope.stored())
    return token


@dataclass(frozen=True)
class Opened:
    token: str | None = None  # the session cookie's value
    session: WebSession | None = None
    problem: InviteProblem | None = None


async def open_link(repos: Repos, clock: Clock, token: str, language: str = "zh") -> Opened:
    now = clock.now()
    link = await repos.web.link_by_hash(invites.hash_token(token)) if invites.looks_like_token(token) else None
    state = None if link is None else InviteState(as_utc(link.expires_at), link.used_at and as_utc(link.used_at), None)
    problem = invites.invite_problem(state, now)
    if problem is None and not await repos.web.claim_link(link.id, now):
        problem = InviteProblem.USED  # another tab or browser opened it at the same moment
    if problem is not None:
        return Opened(problem=problem)
    session_token = invites.new_token()
    row = await repos.web.add_session(WebSession(
        token_hash=invites.hash_token(session_token), link_id=link.id, counties=link.counties,
        display_name=link.display_name, user_id=link.user_id, csrf_token=secrets.token_urlsafe(24),
        language=normalize(language), created_at=now, last_seen_at=now))
    repos.audit.record(now, actor(row), "web.sign_in", "web_session", row.id, counties=link.counties)
    return Opened(session_token, row)


async def current(repos: Repos, clock: Clock, token: str | None) -> WebSession | None:
    """The live session a cookie names, its idle time reset; None if unknown, ended or idle too long."""
    if not token or not invites.looks_like_token(token):
        return None
    row = await repos.web.session_by_hash(invites.hash_token(token))
    now = clock.now()
    if row is None or session_idle(as_utc(row.last_seen_at), now):
        return None
    if now - as_utc(row.last_seen_at) >= TOUCH_EVERY:  # not a write on every page view
        row.last_seen_at = now
    return row


def language(value: str) -> str:
    return normalize(value)


def scope(row: WebSession) -> Scope:
    return Scope.from_stored(row.counties)


async def sign_out(repos: Repos, clock: Clock, row: WebSession) -> None:
    row.ended_at = clock.now()
    repos.audit.record(clock.now(), actor(row), "web.sign_out", "web_session", row.id)


def actor(row: WebSession) -> str:
    """Who did it, for the audit log: the admin's account, or the name a CLI link was made for."""
    return f"user:{row.user_id}" if row.user_id is not None else f"web:{row.display_name}"
