"""The outbox as the sender sees it: claiming due rows, recording what was delivered, letting go.

A claim (owner, deadline) is taken in one UPDATE … RETURNING over rows that are due and not
claimed by anyone whose claim still runs; on PostgreSQL the rows are picked `FOR UPDATE SKIP
LOCKED`, so two senders claiming at once take different rows instead of waiting for each other,
and on SQLite the statement holds the write lock. Either way no row is claimed by two senders.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import OutboxMessage


class OutboxRepo:
    def __init__(self, db: AsyncSession | AsyncConnection) -> None:
        self.db = db  # a connection where one statement per message must stay cheap

    async def claim(self, owner: str, now: datetime, until: datetime, limit: int,
                    after_id: int = 0) -> list[OutboxMessage]:
        """Claim up to `limit` due rows (oldest first, ids above `after_id`) for `owner` until `until`.
        Needs a session (the rows come back as objects)."""
        claimable = (OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
                     OutboxMessage.id > after_id,
                     or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
        picked = select(OutboxMessage.id).where(*claimable).order_by(OutboxMessage.id).limit(limit)
        # A read first: an idle sender asks every second, and on SQLite even an UPDATE that
        # matches nothing takes the database's one write lock.
        if await self.db.scalar(picked.limit(1)) is None:
            return []
        if self.db.get_bind().dialect.name == "postgresql":
            # In a CTE, so it runs once: as `id IN (subquery)` PostgreSQL may rescan the locking
            # subquery for each row and claim every due row instead of `limit` (seen in the tests).
            chosen = picked.with_for_update(skip_locked=True).cte("chosen")
            stmt = update(OutboxMessage).where(OutboxMessage.id == chosen.c.id)
        else:  # SQLite: one writer at a time; the subquery runs once
            # The conditions again on the rows updated, as a guard on the pick.
            stmt = update(OutboxMessage).where(OutboxMessage.id.in_(picked.scalar_subquery()), *claimable)
        stmt = (stmt.values(claimed_by=owner, claimed_until=until).returning(OutboxMessage)
                .execution_options(synchronize_session=False))
        rows = list((await self.db.scalars(stmt)).all())
        return sorted(rows, key=lambda row: row.id)

    async def mark(self, row_id: int, **values: object) -> None:
        await self.db.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values))

    async def release(self, owner: str, keep: Iterable[int] = ()) -> int:
        """Let go of `owner`'s claims on rows still pending, but those in `keep` (on their way)."""
        stmt = (update(OutboxMessage)
                .where(OutboxMessage.claimed_by == owner, OutboxMessage.status == "pending")
                .values(claimed_by=None, claimed_until=None))
        keep = list(keep)
        if keep:
            stmt = stmt.where(OutboxMessage.id.not_in(keep))
        result = await self.db.execute(stmt)
        return result.rowcount

    async def backlog(self) -> tuple[int, datetime | None]:
        """How many rows wait to be sent, and when the oldest of them was queued (for /metrics)."""
        from sqlalchemy import func

        stmt = select(func.count(), func.min(OutboxMessage.created_at)).where(OutboxMessage.status == "pending")
        count, oldest = (await self.db.execute(stmt)).one()
        return count, oldest
