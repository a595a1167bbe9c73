"""The year's figures for a whole cohort, in a fixed number of queries (not one per person)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Agreement,
    Disqualification,
    ExpertReview,
    GradeDecision,
    Opinion,
    Outcome,
    Report,
    Survey,
    Visit,
    VisitFeedback,
)


class AssessmentRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def agreements_in(self, start: date, end: date) -> list[Agreement]:
        stmt = (select(Agreement).where(Agreement.start_date <= end, Agreement.end_date >= start,
                                        Agreement.status != "pending")
                .order_by(Agreement.commissioner_id, Agreement.id))
        return list((await self.session.scalars(stmt)).all())

    async def visit_rows(self, start: date, end: date) -> list[tuple]:
        """(commissioner, enterprise, evidence status, answer, rating, accepted by a reviewer) per live visit."""
        stmt = (select(Visit.commissioner_id, Visit.enterprise_id, Visit.evidence_status, VisitFeedback.status,
                       VisitFeedback.rating, Visit.reviewed_at.is_not(None))
                .outerjoin(VisitFeedback, VisitFeedback.visit_id == Visit.id)
                .where(Visit.voided_at.is_(None), Visit.visit_date >= start, Visit.visit_date <= end))
        return [tuple(r) for r in await self.session.execute(stmt)]

    async def reports(self) -> list[tuple[int, str, str, bool]]:
        stmt = select(Report.commissioner_id, Report.cycle, Report.period, Report.late)
        return [tuple(r) for r in await self.session.execute(stmt)]

    async def survey_answers(self, period: str) -> list[tuple[int, dict]]:
        stmt = (select(Agreement.commissioner_id, Survey.answers).join(Agreement, Agreement.id == Survey.agreement_id)
                .where(Survey.period == period, Survey.answered_at.is_not(None)))
        return [tuple(r) for r in await self.session.execute(stmt)]

    async def outcome_counts(self, start: date, end: date) -> dict[int, int]:
        stmt = (select(Outcome.commissioner_id, func.count()).where(Outcome.achieved_on >= start,
                                                                     Outcome.achieved_on <= end)
                .group_by(Outcome.commissioner_id))
        return dict((await self.session.execute(stmt)).all())

    async def decisions(self, year: int) -> dict[int, GradeDecision]:
        rows = await self.session.scalars(select(GradeDecision).where(GradeDecision.year == year))
        return {row.commissioner_id: row for row in rows}

    async def decision(self, year: int, commissioner_id: int) -> GradeDecision | None:
        return await self.session.scalar(select(GradeDecision).where(
            GradeDecision.year == year, GradeDecision.commissioner_id == commissioner_id))

    def add(self, row: object) -> None:
        self.session.add(row)

    async def outcomes_of(self, commissioner_id: int, start: date, end: date) -> list[Outcome]:
        stmt = (select(Outcome).where(Outcome.commissioner_id == commissioner_id, Outcome.achieved_on >= start,
                                      Outcome.achieved_on <= end).order_by(Outcome.achieved_on))
        return list((await self.session.scalars(stmt)).all())

    async def disqualifications_of(self, commissioner_id: int) -> list[Disqualification]:
        stmt = (select(Disqualification).where(Disqualification.commissioner_id == commissioner_id)
                .order_by(Disqualification.decided_at))
        return list((await self.session.scalars(stmt)).all())

    async def opinions(self, year: int, commissioner_id: int) -> list[Opinion]:
        stmt = (select(Opinion).where(Opinion.year == year, Opinion.commissioner_id == commissioner_id)
                .order_by(Opinion.kind, Opinion.enterprise_id, Opinion.id))
        return list((await self.session.scalars(stmt)).all())

    async def county_opinions(self, year: int) -> dict[int, str]:
        """The county's opinion of each commissioner's year, by commissioner id (for the roster)."""
        rows = await self.session.execute(select(Opinion.commissioner_id, Opinion.text).where(
            Opinion.year == year, Opinion.kind == "county"))
        return {commissioner_id: text for commissioner_id, text in rows}

    async def opinions_by_keys(self, keys) -> dict[tuple, Opinion]:  # noqa: ANN001 - an iterable of keys
        """Stored opinions by (year, commissioner id, kind, enterprise id), for the import."""
        wanted = set(keys)
        years = {k[0] for k in wanted}
        if not wanted:
            return {}
        rows = await self.session.scalars(select(Opinion).where(Opinion.year.in_(years), Opinion.commissioner_id.in_(
            {k[1] for k in wanted})))
        found = {(o.year, o.commissioner_id, o.kind, o.enterprise_id): o for o in rows}
        return {k: v for k, v in found.items() if k in wanted}

    async def opinion(self, year: int, commissioner_id: int, kind: str, enterprise_id: int | None) -> Opinion | None:
        stmt = select(Opinion).where(Opinion.year == year, Opinion.commissioner_id == commissioner_id,
                                     Opinion.kind == kind, Opinion.enterprise_id.is_(None) if enterprise_id is None
                                     else Opinion.enterprise_id == enterprise_id)
        return await self.session.scalar(stmt)

    async def reviews(self, year: int, commissioner_id: int) -> list[ExpertReview]:
        stmt = (select(ExpertReview).where(ExpertReview.year == year, ExpertReview.commissioner_id == commissioner_id)
                .order_by(ExpertReview.id))
        return list((await self.session.scalars(stmt)).all())
