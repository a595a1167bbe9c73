"""What every selection step shares: who acts (`Context`), its refusal, and who is told."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TypeVar
from zoneinfo import ZoneInfo

from domain.clock import Clock, local_today
from domain.policy import Policy
from domain.roles import Role, held_ids, holds
from domain.selection import Party
from messages import recipients
from messages.notices import Notices
from services.errors import Refusal
from storage.models import Need, Pairing, RoleGrant, User
from storage.repositories import Repos


T = TypeVar("T")


class SelectionError(Refusal):
    """A step that cannot be taken; `reason` names a `selection.error_*` text."""


@dataclass(frozen=True)
class Context:
    """Who acts, when, under which policy: what every step needs."""

    repos: Repos
    clock: Clock
    policy: Policy
    zone: ZoneInfo
    user: User
    grants: list[RoleGrant]

    @property
    def today(self) -> date:
        return local_today(self.clock, self.zone)

    @property
    def actor(self) -> str:
        return f"user:{self.user.id}"

    @cached_property
    def notices(self) -> Notices:
        return Notices(self.repos, self.clock, self.policy, self.zone)

    def ids(self, role: Role, attr: str) -> set[int]:
        return set(held_ids(self.grants, role, attr))

    def has(self, role: Role) -> bool:
        return holds(self.grants, role)

    def counties(self) -> set[str]:
        return {g.county for g in self.grants if g.role == Role.COUNTY and g.county}

    async def for_bureau(self, load: Callable[[int], Awaitable[T | None]], row_id: int, unknown: str) -> T:
        """The row the bureau is to decide on; refused to anyone else, and when there is no such row
        (`unknown` names the refusal)."""
        if not self.has(Role.BUREAU):
            raise SelectionError("not_bureau")
        row = await load(row_id)
        if row is None:
            raise SelectionError(unknown)
        return row


def need_text(need: Need) -> str:
    return "\n".join((need.field, need.description, need.expected_help or ""))


async def parties(repos: Repos, pairing: Pairing) -> list[User]:
    return await recipients.pair_accounts(repos, pairing.commissioner_id, pairing.need.enterprise_id)


async def publicity_audience(repos: Repos, pairing: Pairing) -> list[User]:
    """Publicity is announced to the bureau, the enterprise's county and both parties."""
    return recipients.each_once(await recipients.bureau_admins(repos)
                                   + await recipients.county_admins(repos, pairing.need.enterprise.county)
                                   + await parties(repos, pairing))


async def signers_of(repos: Repos, pairing: Pairing) -> dict[Party, list[User]]:
    units = (await recipients.unit_contacts(repos, pairing.commissioner.unit_id)) if pairing.unit_signs else []
    return {Party.COMMISSIONER: await recipients.commissioner_accounts(repos, pairing.commissioner_id),
            Party.ENTERPRISE: await recipients.enterprise_contacts(repos, pairing.need.enterprise_id),
            Party.UNIT: units}


def user_id_of(actor: str) -> int | None:
    return int(actor.split(":", 1)[1]) if actor.startswith("user:") else None
