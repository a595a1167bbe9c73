"""Who may see what in the web console, and how long its links and sessions last. Pure.

A sign-in link is an invite for a browser: the same random token and hash (domain.invites),
valid for minutes instead of days, and it opens a session instead of granting a role.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.roles import Role

LINK_VALID = timedelta(minutes=10)
SESSION_IDLE = timedelta(hours=8)


@dataclass(frozen=True)
class Scope:
    """What one admin sees: every county (the bureau, `counties` None) or the named ones."""

    counties: frozenset[str] | None

    @property
    def is_bureau(self) -> bool:
        return self.counties is None

    def covers(self, county: str | None) -> bool:
        return self.counties is None or county in self.counties

    def stored(self) -> list[str] | None:
        return None if self.counties is None else sorted(self.counties)

    @classmethod
    def from_stored(cls, counties: list[str] | None) -> Scope:
        return cls(None if counties is None else frozenset(counties))


BUREAU = Scope(None)


def scope_of(grants: Iterable[Any]) -> Scope | None:
    """An account's console scope from its role grants (storage.models.RoleGrant): the bureau's
    covers everything, a county admin's their counties; anyone else gets none."""
    grants = list(grants)
    if any(g.role == Role.BUREAU for g in grants):
        return BUREAU
    counties = frozenset(g.county for g in grants if g.role == Role.COUNTY and g.county)
    return Scope(counties) if counties else None


def session_idle(last_seen: datetime, now: datetime) -> bool:
    return now - last_seen >= SESSION_IDLE
