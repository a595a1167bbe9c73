"""Technical needs (技术需求) filed in the bot by an enterprise's contact: filing (stored open,
audited, the county's and the bureau's admins told through the outbox), the contact's own list, and
withdrawing a need (the contact, or a bureau admin). No aiogram: handlers and the CLI call these."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from domain import needs as rules
from domain.clock import Clock
from domain.policy import Policy
from domain.roles import Role, held_ids, holds
from messages import needs as need_notices
from messages import recipients
from messages.notices import Notices
from services.errors import Refusal
from services.selection import tell_best_matches
from storage.models import Enterprise, Need, RoleGrant, User
from storage.repositories import Repos


class NeedError(Refusal):
    """A need that cannot be filed or closed; `reason` names a `need.error_*` text."""


def contact_enterprise_ids(grants: list[RoleGrant]) -> list[int]:
    """The enterprises this person is the contact of, in the order the grants came."""
    return held_ids(grants, Role.ENTERPRISE, "enterprise_id")


async def contact_enterprises(repos: Repos, grants: list[RoleGrant]) -> list[Enterprise]:
    """The enterprises a contact may file a need for."""
    found = [await repos.people.get(Enterprise, i) for i in contact_enterprise_ids(grants)]
    return [e for e in found if e is not None]


async def file_need(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo, *, user: User,
                    grants: list[RoleGrant], enterprise_id: int, field: str, description: str,
                    expected_help: str, urgency: str, file_ids: list[int]) -> Need:
    """Store an open need for the contact's enterprise, audit it, and queue a notice to the admins
    of the enterprise's county and to every bureau admin (each once)."""
    if enterprise_id not in contact_enterprise_ids(grants):
        raise NeedError("not_contact")
    enterprise = await repos.people.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NeedError("not_contact")
    file_ids = list(dict.fromkeys(int(i) for i in file_ids))
    problem = rules.need_problem(field, description, expected_help, urgency, len(file_ids))
    if problem is not None:
        raise NeedError(problem)
    now, actor = clock.now(), f"user:{user.id}"
    need = Need(code=None, enterprise_id=enterprise.id, field=rules.clean(field),
                description=rules.clean(description), expected_help=rules.clean(expected_help), urgency=urgency,
                status=rules.OPEN, file_ids=file_ids, created_at=now, created_by=actor)
    need.enterprise = enterprise
    selection = repos.selection
    selection.add(need)
    await selection.flush()
    repos.audit.record(now, actor, "need.file", "need", need.id, enterprise=enterprise.id, field=need.field,
                       urgency=urgency, files=len(file_ids))
    notices = Notices(repos, clock, policy, zone)
    admins = await recipients.county_admins(repos, enterprise.county) + await recipients.bureau_admins(repos)
    for admin in recipients.each_once(admins):
        await need_notices.tell_new_need(notices, admin, need, user.full_name or enterprise.name)
    await tell_best_matches(repos, clock, policy, zone, need)
    return need


async def own_needs(repos: Repos, grants: list[RoleGrant], limit: int = 50) -> list[Need]:
    """The needs of the contact's enterprises, newest first."""
    ids = contact_enterprise_ids(grants)
    if not ids:
        return []
    return await repos.selection.needs(enterprise_ids=ids, limit=limit)


async def close_need(repos: Repos, clock: Clock, *, user: User, grants: list[RoleGrant], need_id: int) -> Need:
    """Withdraw an open need: its enterprise's contact or a bureau admin. A need closed or matched
    already (a second tap, an old button) changes nothing."""
    need = await repos.selection.need(need_id)
    if need is None:
        raise NeedError("unknown")
    # Two closers at once: the second waits for the first, then sees the need closed.
    await repos.session.refresh(need, with_for_update={"of": Need})
    problem = rules.close_problem(need.status, own_contact=need.enterprise_id in contact_enterprise_ids(grants),
                                  bureau=holds(grants, Role.BUREAU))
    if problem is not None:
        raise NeedError(problem)
    before, need.status = need.status, rules.CLOSED
    # A withdrawn need ends the selections still running on it (interest, notice, signing).
    ended = await repos.selection.reject_open_pairings(need_id=need.id)
    repos.audit.record(clock.now(), f"user:{user.id}", "need.close", "need", need.id,
                       enterprise=need.enterprise_id, status_before=before, pairings_ended=[p.id for p in ended])
    return need
