"""Change requests on a signed agreement (Yangquan 第十一条、第十五条（二）): a party asks in writing,
the bureau approves or rejects, both parties are told. Everything is audited."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from domain import changes as rules
from domain.clock import Clock, local_today
from domain.policy import Policy
from domain.roles import Role
from messages import changes as change_notices
from messages import recipients
from messages.notices import Notices
from services.errors import Refusal
from storage.models import Agreement, ChangeRequest, RoleGrant, User
from storage.repositories import Repos


class ChangeError(Refusal):
    """A change request that cannot be filed or decided; `reason` names a `change.error_*` text."""


def _party(agreement: Agreement, grants: list[RoleGrant]) -> str | None:
    return rules.requester_party(
        agreement.commissioner_id, agreement.enterprise_id,
        commissioner_ids={g.commissioner_id for g in grants if g.role == Role.COMMISSIONER},
        enterprise_ids={g.enterprise_id for g in grants if g.role == Role.ENTERPRISE})


async def agreements_open_to_change(repos: Repos, grants: list[RoleGrant]) -> list[Agreement]:
    """The active agreements this person is a party of (as commissioner or enterprise contact)."""
    found: dict[int, Agreement] = {}
    for g in grants:
        if g.role == Role.COMMISSIONER and g.commissioner_id is not None:
            rows = await repos.people.agreements_of(commissioner_id=g.commissioner_id)
        elif g.role == Role.ENTERPRISE and g.enterprise_id is not None:
            rows = await repos.people.agreements_of(enterprise_id=g.enterprise_id)
        else:
            continue
        found.update((a.id, a) for a in rows if a.status == "active")
    return sorted(found.values(), key=lambda a: a.id)


def requester_user_id(row: ChangeRequest) -> int | None:
    """The account that asked: `requested_by` is "user:<id>"."""
    return int(row.requested_by.split(":", 1)[1]) if row.requested_by.startswith("user:") else None


def requester_name(row: ChangeRequest, users: dict[int, User]) -> str:
    user_id = requester_user_id(row)
    user = users.get(user_id) if user_id is not None else None
    return user.full_name if user is not None and user.full_name else row.requested_by


async def request_change(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo, *, user: User,
                         grants: list[RoleGrant], agreement_id: int, kind: str, reason: str,
                         detail: str = "") -> ChangeRequest:
    """File a change request and queue it to every bureau admin with Approve / Reject buttons."""
    agreement = await repos.people.get(Agreement, agreement_id)
    party = _party(agreement, grants) if agreement is not None else None
    if party is None:
        raise ChangeError("not_party")
    if agreement.status != "active":
        raise ChangeError("not_active")
    problem = rules.request_problem(kind, reason, detail)
    if problem is not None:
        raise ChangeError(problem)
    changes = repos.changes
    if await changes.pending(agreement.id):
        raise ChangeError("pending_exists")
    now = clock.now()
    row = ChangeRequest(agreement_id=agreement.id, kind=kind, reason=rules.clean(reason),
                        detail=rules.clean(detail) if kind == rules.ChangeKind.CHANGE_TARGETS else "",
                        requested_by=f"user:{user.id}", requester_role=party, requested_at=now, status="pending",
                        decision_note="")
    row.agreement = agreement
    changes.add(row)
    await changes.flush()
    repos.audit.record(now, f"user:{user.id}", "change.request", "change_request", row.id,
                       agreement=agreement.id, kind=kind, party=party)
    notices = Notices(repos, clock, policy, zone)
    for admin in await recipients.bureau_admins(repos):
        await change_notices.ask_bureau(notices, admin, row, user.full_name or f"user:{user.id}")
    return row


async def pending_requests(repos: Repos) -> list[ChangeRequest]:
    return await repos.changes.pending()


async def decide_change(repos: Repos, clock: Clock, policy: Policy, zone: ZoneInfo, *, user: User,
                        grants: list[RoleGrant], request_id: int, approve: bool, note: str = "") -> ChangeRequest:
    """The bureau approves or rejects a pending request; approval takes effect on the agreement at
    once. A request decided already (a second tap, an old button) changes nothing."""
    if not any(g.role == Role.BUREAU for g in grants):
        raise ChangeError("not_bureau")
    changes = repos.changes
    row = await changes.request(request_id)
    if row is None:
        raise ChangeError("unknown")
    if row.status != rules.ChangeStatus.PENDING:
        raise ChangeError("already_decided")
    agreement = row.agreement
    if approve and agreement.status != "active":
        raise ChangeError("not_active")
    now, actor = clock.now(), f"user:{user.id}"
    status = rules.ChangeStatus.APPROVED if approve else rules.ChangeStatus.REJECTED
    if not await changes.claim(row.id, status.value, actor, now, rules.clean(note)):
        raise ChangeError("already_decided")  # another admin was quicker
    await repos.session.refresh(row)
    effect: dict[str, object] = {}
    if approve and rules.ends_agreement(row.kind):
        agreement.status = "terminated"
        agreement.end_date = rules.ended_on(agreement.start_date, agreement.end_date,
                                            local_today(clock, zone))
        effect = {"agreement_status": "terminated", "end_date": agreement.end_date.isoformat()}
    elif approve:
        effect = {"old_targets": agreement.targets}
        agreement.targets = row.detail
    repos.audit.record(now, actor, f"change.{'approve' if approve else 'reject'}", "change_request", row.id,
                       agreement=agreement.id, kind=row.kind, note=row.decision_note, **effect)
    notices = Notices(repos, clock, policy, zone)
    for person in await _parties(repos, row):
        await change_notices.tell_decision(notices, person, row)
    return row


async def _parties(repos: Repos, row: ChangeRequest) -> list[User]:
    """The requester and both parties of the agreement, each once."""
    agreement = row.agreement
    people = await recipients.pair_accounts(repos, agreement.commissioner_id, agreement.enterprise_id)
    if (user_id := requester_user_id(row)) is not None:
        people += await repos.users.by_ids([user_id])
    return recipients.each_once(people)
