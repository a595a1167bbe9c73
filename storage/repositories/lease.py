"""Named leases: at most one process holds a lease at a time (the scheduler and sender's)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SchedulerLease
from storage.repositories._upsert import dialect_insert


class LeaseRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def take(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Hold the lease until `until` if it is free, lapsed or already ours; False if someone
        else holds it. One statement, so two processes racing for a lapsed lease cannot both win."""
        stmt = dialect_insert(self.session, SchedulerLease).values(name=name, holder=holder, expires_at=until)
        stmt = stmt.on_conflict_do_update(
            index_elements=[SchedulerLease.name],
            set_={"holder": holder, "expires_at": until},
            where=(SchedulerLease.expires_at < now) | (SchedulerLease.holder == holder),
        )
        result = await self.session.execute(stmt)
        return result.rowcount == 1

    async def release(self, name: str, holder: str) -> None:
        await self.session.execute(delete(SchedulerLease).where(SchedulerLease.name == name,
                                                                SchedulerLease.holder == holder))

    async def get(self, name: str) -> SchedulerLease | None:
        return await self.session.get(SchedulerLease, name)
