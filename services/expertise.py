"""A commissioner's own expertise profile (/profile): what matching reads (fields, keywords,
capacity), shown with their current load, and changed by them. Every change is audited with the
old and the new value."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain import expertise as rules
from domain.clock import Clock
from domain.policy import Policy
from domain.roles import Role, held_ids
from services.errors import Refusal
from storage.models import Commissioner, RoleGrant, User
from storage.repositories import Repos


class ExpertiseError(Refusal):
    """A profile change that cannot be made; `reason` names a `profile.error_*` text."""


@dataclass(frozen=True)
class ProfileCard:
    commissioner: Commissioner
    load: int  # active agreements today
    default_capacity: int  # the policy's, used while `commissioner.capacity` is None

    @property
    def capacity(self) -> int:
        return self.commissioner.capacity or self.default_capacity


@dataclass(frozen=True)
class Saved:
    commissioner: Commissioner
    field: str
    old: str | int | None
    new: str | int | None

    @property
    def changed(self) -> bool:
        return self.old != self.new


def own_ids(grants: list[RoleGrant]) -> list[int]:
    """The commissioners this person speaks for, in the order of their grants."""
    return held_ids(grants, Role.COMMISSIONER, "commissioner_id")


async def own_commissioners(repos: Repos, grants: list[RoleGrant]) -> list[Commissioner]:
    rows = [await repos.people.get(Commissioner, i) for i in own_ids(grants)]
    return [c for c in rows if c is not None]


async def _own(repos: Repos, grants: list[RoleGrant], commissioner_id: int) -> Commissioner:
    commissioner = (await repos.people.get(Commissioner, commissioner_id)
                    if commissioner_id in own_ids(grants) else None)
    if commissioner is None:
        raise ExpertiseError("not_own")
    return commissioner


async def editable(repos: Repos, grants: list[RoleGrant], commissioner_id: int) -> Commissioner:
    """The person's own commissioner, if its profile may still be changed; ExpertiseError otherwise."""
    commissioner = await _own(repos, grants, commissioner_id)
    if not rules.editable(commissioner.status):
        raise ExpertiseError("not_editable")
    return commissioner


async def card(repos: Repos, policy: Policy, grants: list[RoleGrant], commissioner_id: int,
               today: date) -> ProfileCard:
    commissioner = await _own(repos, grants, commissioner_id)
    load = len(await repos.people.agreements_in_force(commissioner.id, today))
    return ProfileCard(commissioner, load, policy.selection.default_capacity)


async def update(repos: Repos, clock: Clock, *, user: User, grants: list[RoleGrant], commissioner_id: int,
                 field: str, text: str | None) -> Saved:
    """Set one field of the person's own profile from what they typed; `text=None` on the capacity
    puts it back to the policy's default. Raises ExpertiseError with the problem's key."""
    commissioner = await editable(repos, grants, commissioner_id)
    if field == rules.ProfileField.CAPACITY and text is None:
        new: str | int | None = None
    else:
        problem = rules.problem(field, text)
        if problem is not None:
            raise ExpertiseError(problem)
        new = rules.value(field, text)
    old = getattr(commissioner, field)
    saved = Saved(commissioner, field, old, new)
    if saved.changed:
        setattr(commissioner, field, new)
        await repos.people.flush()
        repos.audit.record(clock.now(), f"user:{user.id}", "profile.update", "commissioner", commissioner.id,
                           code=commissioner.code, field=field, old=old, new=new)
    return saved
