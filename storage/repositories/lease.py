"""Leases: which process holds a named role (the scheduler) until when."""
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
        """Hold the lease if it is free, expired or already ours; False if someone else holds it."""
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
