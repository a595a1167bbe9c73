"""Progress reports."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Report, Visit


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

    async def visits_between(self, commissioner_id: int, start: date, end: date) -> list[Visit]:
        stmt = (select(Visit).where(Visit.commissioner_id == commissioner_id, Visit.voided_at.is_(None),
                                    Visit.visit_date >= start, Visit.visit_date <= end)
                .order_by(Visit.visit_date, Visit.id))
        return list((await self.session.scalars(stmt)).all())
