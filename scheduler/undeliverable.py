"""Messages that cannot be delivered: the row is closed for good and an admin is told, once,
in the same transaction (the notice goes out through the outbox like any other)."""
from __future__ import annotations

from pathlib import Path

from domain.roles import Role
from scheduler.notices import Notices
from services.notifications import bureau_admins
from storage.models import Commissioner, Enterprise, OutboxMessage, User
from storage.repositories import Repos


async def missing_attachment(notices: Notices, row: OutboxMessage, path: str | None) -> None:
    """A file the message attaches is gone: no retry brings it back, so fail the row and tell
    the bureau's admins (they can restore the data directory from a backup)."""
    repos = notices.repos
    await repos.outbox.mark(row.id, status="failed", parts_sent=row.parts_sent,
                            last_error=f"attachment missing: {path}"[:500])
    recipient = await repos.session.get(User, row.user_id)
    for admin in await bureau_admins(repos):
        await notices.missing_attachment(admin, recipient, row.id, Path(path or "").name, row.parts_sent > 0)


async def unreachable(notices: Notices, row: OutboxMessage, error: str) -> None:
    """403: the person blocked the bot. Their county admins are told once (per person)."""
    repos = notices.repos
    await repos.outbox.mark(row.id, status="unreachable", last_error=error[:500])
    user = await repos.session.get(User, row.user_id)
    if user is not None and user.unreachable_at is None:
        user.unreachable_at = notices.clock.now()
        for admin in await _county_admins_of(repos, user):
            t = notices.t(admin)
            await notices.queue(f"unreachable:{user.id}:{admin.id}", admin,
                                t("outbox.unreachable", name=user.full_name or str(user.telegram_id)))


async def _county_admins_of(repos: Repos, user: User) -> list[User]:
    counties = set()
    for grant in await repos.users.grants_of(user.id):
        if grant.role == Role.COMMISSIONER and grant.commissioner_id:
            c = await repos.people.get(Commissioner, grant.commissioner_id)
            counties.add(c.county if c else None)
        elif grant.role == Role.ENTERPRISE and grant.enterprise_id:
            e = await repos.people.get(Enterprise, grant.enterprise_id)
            counties.add(e.county if e else None)
    admins: list[User] = []
    for county in sorted(c for c in counties if c):
        holders = await repos.users.holders(Role.COUNTY.value, f"county:{county}")
        admins += await repos.users.by_ids([g.user_id for g in holders])
    return admins
