"""The enterprise's answers on visits, and satisfaction surveys."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Agreement, Survey, Visit, VisitFeedback


class FeedbackRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: VisitFeedback | Survey) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def by_visit(self, visit_id: int) -> VisitFeedback | None:
        return await self.session.scalar(select(VisitFeedback).where(VisitFeedback.visit_id == visit_id))

    async def pending(self, enterprise_id: int | None = None) -> list[VisitFeedback]:
        stmt = (select(VisitFeedback).join(Visit, Visit.id == VisitFeedback.visit_id)
                .where(VisitFeedback.status == "pending", Visit.voided_at.is_(None))
                .order_by(VisitFeedback.id))
        if enterprise_id is not None:
            stmt = stmt.where(VisitFeedback.enterprise_id == enterprise_id)
        return list((await self.session.scalars(stmt)).all())

    async def of_commissioner(self, commissioner_id: int, start: date, end: date) -> list[VisitFeedback]:
        stmt = (select(VisitFeedback).join(Visit, Visit.id == VisitFeedback.visit_id)
                .where(Visit.commissioner_id == commissioner_id, Visit.voided_at.is_(None),
                       Visit.visit_date >= start, Visit.visit_date <= end)
                .order_by(VisitFeedback.id))
        return list((await self.session.scalars(stmt)).all())

    async def survey(self, survey_id: int) -> Survey | None:
        return await self.session.get(Survey, survey_id)

    async def surveyed_agreements(self, period: str) -> set[int]:
        rows = await self.session.scalars(select(Survey.agreement_id).where(Survey.period == period))
        return set(rows)

    async def surveys_of_commissioner(self, commissioner_id: int, period: str) -> list[Survey]:
        stmt = (select(Survey).join(Agreement, Agreement.id == Survey.agreement_id)
                .where(Agreement.commissioner_id == commissioner_id, Survey.period == period)
                .order_by(Survey.id))
        return list((await self.session.scalars(stmt)).all())

    async def active_agreements(self, today: date) -> list[Agreement]:
        stmt = select(Agreement).where(Agreement.status == "active", Agreement.start_date <= today,
                                       Agreement.end_date >= today).order_by(Agreement.id)
        return list((await self.session.scalars(stmt)).all())
