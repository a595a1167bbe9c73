from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate
from storage.repositories._upsert import upsert


class UpdateRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def claims_first(self) -> bool:
        """Whether the claim can open the update's transaction, standing for the read too.
        SQLite's write lock covers the whole database, so there the claim waits for the commit;
        PostgreSQL locks one row, and a second delivery's insert waits for the first's outcome."""
        return self.session.get_bind().dialect.name != "sqlite"

    async def handled(self, bot_id: int, update_id: int) -> bool:
        """Whether this update id was claimed already (a read: takes no write lock)."""
        stmt = select(ProcessedUpdate.update_id).where(ProcessedUpdate.bot_id == bot_id,
                                                       ProcessedUpdate.update_id == update_id)
        return (await self.session.execute(stmt)).first() is not None

    async def claim(self, bot_id: int, update_id: int, now: datetime) -> bool:
        """True the first time an update id is seen; False for a re-delivery."""
        claim = upsert(self.session.get_bind().dialect.name, ProcessedUpdate.__table__)
        result = await self.session.execute(claim, {"bot_id": bot_id, "update_id": update_id, "at": now})
        return result.rowcount == 1

    async def forget_before(self, before: datetime) -> int:
        result = await self.session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.at < before))
        return result.rowcount or 0
