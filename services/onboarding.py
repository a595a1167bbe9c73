"""Invites: made by the CLI or an admin, redeemed by `/start <token>`."""
from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from domain import invites, throttle
from domain.cells import clean_code
from domain.clock import Clock, as_utc
from domain.invites import InviteProblem, InviteState
from domain.policy import Policy
from domain.roles import Role, conflicts
from messages.notices import Notices
from storage.models import (
    Commissioner,
    DispatchingUnit,
    Enterprise,
    Invite,
    RoleGrant,
    User,
)
from storage.repositories import Repos

# A commissioner, an enterprise's contact and a unit's contact are one account each: a new
# invite for them moves the role to the new account (a new phone, a new contact person).
EXCLUSIVE_ROLES = frozenset({Role.COMMISSIONER, Role.ENTERPRISE, Role.UNIT})


class UnknownTarget(LookupError):
    def __init__(self, role: Role, code: str) -> None:
        super().__init__(f"{role.value} {code}")
        self.role = role
        self.code = code


@dataclass(frozen=True)
class Target:
    role: Role
    subject_key: str
    display_name: str  # the person's name, to greet them by
    subject_name: str  # what they act for: enterprise name, county, …
    commissioner_id: int | None = None
    enterprise_id: int | None = None
    unit_id: int | None = None
    county: str | None = None


async def resolve_target(repos: Repos, role: Role, code: str, person_name: str | None = None) -> Target:
    """What an invite for `code` is for; the code as typed is cleaned as the import cleans it."""
    code = clean_code(code)
    if not code:
        raise UnknownTarget(role, code)
    if role is Role.COMMISSIONER:
        c = await repos.people.by_code(Commissioner, code)
        if c is None:
            raise UnknownTarget(role, code)
        return Target(role, f"commissioner:{c.id}", c.name, c.code, commissioner_id=c.id, county=c.county)
    if role is Role.ENTERPRISE:
        e = await repos.people.by_code(Enterprise, code)
        if e is None:
            raise UnknownTarget(role, code)
        name = person_name or e.contact_name or e.name
        return Target(role, f"enterprise:{e.id}", name, e.name, enterprise_id=e.id, county=e.county)
    if role is Role.UNIT:
        u = await repos.people.by_code(DispatchingUnit, code)
        if u is None:
            raise UnknownTarget(role, code)
        return Target(role, f"unit:{u.id}", person_name or u.contact_name or u.name, u.name, unit_id=u.id)
    if role is Role.COUNTY:
        return Target(role, f"county:{code}", person_name or code, code, county=code)
    return Target(role, f"bureau:{code}", person_name or code, code)


# What a role is held for: carried from the target to the invite, and from the invite to the grant.
SUBJECT_FIELDS = ("subject_key", "commissioner_id", "enterprise_id", "unit_id", "county", "display_name",
                  "subject_name")


def _subject(source: Target | Invite) -> dict[str, object]:
    return {name: getattr(source, name) for name in SUBJECT_FIELDS}


@dataclass(frozen=True)
class NewInvite:
    token: str
    invite: Invite
    target: Target


async def create_invite(
    repos: Repos, clock: Clock, target: Target, actor: str, days: int = invites.DEFAULT_INVITE_DAYS
) -> NewInvite:
    now = clock.now()
    token = invites.new_token()
    invite = await repos.invites.add(
        Invite(token_hash=invites.hash_token(token), role=target.role.value, **_subject(target),
               created_at=now, created_by=actor, expires_at=invites.expiry(now, days))
    )
    repos.audit.record(now, actor, "invite.create", "invite", invite.id,
                       role=target.role.value, subject=target.subject_key, days=days)
    return NewInvite(token, invite, target)


@dataclass(frozen=True)
class Redemption:
    grant: RoleGrant | None = None
    problem: InviteProblem | None = None
    wait_seconds: int = 0  # > 0: too many failures, try again later (the token was not checked)
    already_held: bool = False


async def redeem(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo, user: User, payload: str) -> Redemption:
    """Bind the account to what the invite is for. An account that would answer for those it
    oversees is refused (not counted as a failed guess) and the invite stays unused for its
    person; a role moved from another account is audited and that account told."""
    notices = Notices(repos, clock, policy, zone)
    now = clock.now()
    last = as_utc(user.last_failed_start_at) if user.last_failed_start_at else None
    wait = throttle.wait_seconds(user.failed_starts, last, now)
    if wait:
        return Redemption(wait_seconds=wait)
    invite = await repos.invites.by_hash(invites.hash_token(payload)) if invites.looks_like_token(payload) else None
    state = None if invite is None else InviteState(
        as_utc(invite.expires_at),
        invite.used_at and as_utc(invite.used_at),
        invite.revoked_at and as_utc(invite.revoked_at),
    )
    problem = invites.invite_problem(state, now)
    if problem is None and conflicts(await repos.users.grants_of(user.id), Role(invite.role), invite.county):
        repos.audit.record(now, f"user:{user.id}", "invite.refused", "invite", invite.id, reason="conflict",
                           role=invite.role, subject=invite.subject_key)
        return Redemption(problem=InviteProblem.CONFLICT)
    if problem is None and not await repos.invites.claim(invite.id, user.id, now):
        problem = InviteProblem.USED  # someone else's tap won the race
    if problem is not None:
        user.failed_starts = throttle.failures_after(user.failed_starts, last, now)
        user.last_failed_start_at = now
        return Redemption(problem=problem)
    user.failed_starts = 0
    user.last_failed_start_at = None
    grant, already = await _bind(repos, notices, now, user, invite)
    return Redemption(grant=grant, already_held=already)


async def _bind(repos: Repos, notices: Notices, now, user: User,  # noqa: ANN001 - now: datetime
                invite: Invite) -> tuple[RoleGrant, bool]:
    role = Role(invite.role)
    holders = await repos.users.holders(role.value, invite.subject_key)
    mine = next((g for g in holders if g.user_id == user.id), None)
    if role in EXCLUSIVE_ROLES:
        others = [g for g in holders if g.user_id != user.id]
        old_accounts = {u.id: u for u in await repos.users.by_ids([g.user_id for g in others])}
        for g in others:
            repos.audit.record(now, f"user:{user.id}", "role.moved", "role_grant", g.id,
                               role=role.value, subject=invite.subject_key, from_user=g.user_id, to_user=user.id)
            await notices.role_moved(old_accounts[g.user_id], g)
        await repos.users.remove_grants([g.id for g in others])
    repos.audit.record(now, f"user:{user.id}", "invite.redeem", "invite", invite.id,
                       role=role.value, subject=invite.subject_key)
    if mine is not None:
        return mine, True
    grant = await repos.users.add_grant(
        RoleGrant(user_id=user.id, role=role.value, **_subject(invite), granted_at=now)
    )
    return grant, False
