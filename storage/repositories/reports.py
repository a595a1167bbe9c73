"""Progress reports."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Report


class ReportRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def submitted(self, commissioner_ids: list[int] | None = None) -> set[tuple[int, str, str]]:
        """(commissioner, cycle, period) of every report submitted."""
        stmt = select(Report.commissioner_id, Report.cycle, Report.period)
        if commissioner_ids is not None:
            stmt = stmt.where(Report.commissioner_id.in_(commissioner_ids))
        return {tuple(row) for row in await self.session.execute(stmt)}

    async def add(self, report: Report) -> Report:
        self.session.add(report)
        await self.session.flush()
        return report

    async def of_commissioner(self, commissioner_id: int) -> list[Report]:
        stmt = select(Report).where(Report.commissioner_id == commissioner_id).order_by(Report.submitted_at)
        return list((await self.session.scalars(stmt)).all())
