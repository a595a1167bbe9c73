"""Messages that cannot be delivered: the row is closed for good and an admin is told, once,
in the same transaction (the notice goes out through the outbox like any other)."""
from __future__ import annotations

from pathlib import Path

from messages.notices import Notices
from messages.recipients import bureau_admins, county_admins_of
from storage.models import OutboxMessage, User


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
        for admin in await county_admins_of(repos, user):
            await notices.unreachable(admin, user)
