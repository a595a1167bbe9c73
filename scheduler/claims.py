"""The rows a sender has claimed: no other sender takes them until the claim lapses.

Another sender — a second process that believes it holds the lease, for a moment — never takes
a claimed row (storage.repositories.outbox claims atomically). A claim runs for `ttl`; a part of a
message is only started while the claim outlasts the longest a send and its mark may take
(`needs_left`), so no claim lapses while its message is on its way. What a stopped sender had
claimed but not started is let go at once; what a killed one had claimed waits for its claim to
lapse.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.clock import Clock, as_utc
from storage.models import OutboxMessage
from storage.repositories import OutboxRepo

log = logging.getLogger(__name__)
CLAIM_TTL = timedelta(minutes=2)


class ClaimLapsing(Exception):
    """The claim on a row would lapse before a send could finish: leave the row."""


class Claims:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, owner: str,
                 ttl: timedelta = CLAIM_TTL, needs_left: timedelta = timedelta(seconds=35)) -> None:
        self.sessionmaker, self.clock, self.owner = sessionmaker, clock, owner
        self.ttl, self.needs_left = ttl, needs_left

    async def take(self, limit: int, after_id: int = 0) -> list[OutboxMessage]:
        """Claim up to `limit` due rows, oldest first (ids above `after_id`)."""
        now = self.clock.now()
        async with self.sessionmaker() as session:
            rows = await OutboxRepo(session).claim(self.owner, now, now + self.ttl, limit, after_id)
            await session.commit()
            return rows

    def cover(self, row: OutboxMessage) -> bool:
        """Whether the claim on the row outlasts one more send and its mark."""
        return row.claimed_until is not None and self.clock.now() + self.needs_left < as_utc(row.claimed_until)

    async def release(self, on_their_way: set[int]) -> None:
        """Let go of the rows claimed and not started, so any sender may take them now."""
        try:
            async with self.sessionmaker.kw["bind"].begin() as conn:
                await OutboxRepo(conn).release(self.owner, keep=on_their_way)
        except (SQLAlchemyError, OSError):  # they are free anyway once their claims lapse
            log.warning("outbox sender could not release its claims", exc_info=True)
